package org.omspush.receiver.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.omspush.fanout.ProblemDetails;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's OpenAPI 3.1 document, a resource of this jar: read and checked once at
 * start-up, served at {@code GET /api/v1/openapi.json}, and every request to an operation it
 * describes is validated against it (vertx-openapi) before its handler runs. A request that does
 * not fit is answered 400 with problem details whose detail names the parameter or field.
 */
public final class AdminContract {
  static final String RESOURCE = "org/omspush/receiver/admin/openapi.json";
  static final String PATH = "/api/v1/openapi.json";
  /**
   * Admin-port paths that are not part of the JSON API and so not in the document, each with
   * everything under it: the console's HTML pages.
   */
  static final List<String> NOT_DOCUMENTED = List.of("/console");
  private static final Logger log = LoggerFactory.getLogger(AdminContract.class);
  private static final Pattern QUOTED = Pattern.compile("['\"]([^'\"]+)['\"]");

  private final OpenAPIContract contract;
  private final RequestValidator validator;
  private final Buffer document;
  private final MeterRegistry registry;

  private AdminContract(Vertx vertx, OpenAPIContract contract, Buffer document, MeterRegistry registry) {
    this.contract = contract;
    this.validator = RequestValidator.create(vertx, contract);
    this.document = document;
    this.registry = registry;
  }

  /**
   * Reads the document off the event loop and loads it as an OpenAPI contract (which checks it).
   *
   * @param registry counts the requests refused ({@code oms_admin_requests_refused_total}); null: not counted
   */
  public static Future<AdminContract> load(Vertx vertx, MeterRegistry registry) {
    return vertx.executeBlocking(AdminContract::read)
        .compose(json -> OpenAPIContract.from(vertx, forValidator(json))
            .map(c -> new AdminContract(vertx, c, json.toBuffer(), registry)));
  }

  /**
   * The document as the validator takes it. vertx-openapi 5.0.10 refuses a response media type
   * it could not validate (application/problem+json, application/xml) although only requests are
   * validated here; its copy leaves those out of the responses. Requests are left as they are.
   */
  public static JsonObject forValidator(JsonObject document) {
    JsonObject copy = document.copy();
    List<JsonObject> responseSets = new ArrayList<>();
    JsonObject components = copy.getJsonObject("components");
    if (components != null && components.getJsonObject("responses") != null) {
      responseSets.add(components.getJsonObject("responses"));
    }
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op && op.getValue("responses") instanceof JsonObject r) {
          responseSets.add(r);
        }
      }
    }
    for (JsonObject responses : responseSets) {
      for (String code : responses.fieldNames()) {
        if (responses.getValue(code) instanceof JsonObject response
            && response.getValue("content") instanceof JsonObject content) {
          content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
          if (content.isEmpty()) {
            response.remove("content");
          }
        }
      }
    }
    return copy;
  }

  private static JsonObject read() throws IOException {
    try (InputStream in = AdminContract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException("the admin API's OpenAPI document " + RESOURCE + " is not in the jar");
      }
      return new JsonObject(Buffer.buffer(in.readAllBytes()));
    }
  }

  /** GET /api/v1/openapi.json. */
  void serve(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").end(document);
  }

  /**
   * Checks a request against the operation the document has for its path and method; requests
   * it has none for go on unchecked (to 404 or 405).
   */
  void validate(RoutingContext ctx) {
    Operation op = contract.findOperation(ctx.request().path(), ctx.request().method());
    if (op == null) {
      ctx.next();
      return;
    }
    ValidatableRequest request;
    try {
      request = input(ctx, op);
    } catch (ValidatorException e) {
      refuse(ctx, op, e);
      return;
    }
    validator.validate(request, op.getOperationId()).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.next();
      } else if (ar.cause() instanceof ValidatorException e) {
        refuse(ctx, op, e);
      } else {
        ctx.fail(ar.cause());
      }
    });
  }

  private void refuse(RoutingContext ctx, Operation op, ValidatorException e) {
    ProblemDetails problem = problem(op, e);
    if (registry != null) {
      registry.counter("oms.admin.requests.refused", "operation", op.getOperationId()).increment();
    }
    log.info("admin API {} {} refused ({}): {}", ctx.request().method(), ctx.request().path(), op.getOperationId(),
        problem.detail());
    problem.send(ctx.response());
  }

  /**
   * The request's parameters as the validator takes them. Query values are taken once decoded (the
   * library's own extraction decodes them a second time, so '%25' or '+' would change), and a value
   * of a string parameter is handed over as a JSON string so that "1.5" stays text. The body is
   * read as JSON whatever its Content-Type, as the handlers always did.
   */
  private static ValidatableRequest input(RoutingContext ctx, Operation op) {
    Map<String, RequestParameter> path = new HashMap<>();
    Map<String, RequestParameter> query = new HashMap<>();
    String[] segments = ctx.request().path().substring(1).split("/", -1);
    String[] template = op.getAbsoluteOpenAPIPath().substring(1).split("/", -1);
    for (Parameter p : op.getParameters()) {
      String raw = null;
      if (p.getIn() == Location.QUERY) {
        raw = ctx.queryParams().get(p.getName());
      } else if (p.getIn() == Location.PATH) {
        for (int i = 0; i < template.length && i < segments.length; i++) {
          if (template[i].equals("{" + p.getName() + "}")) {
            raw = URLDecoder.decode(segments[i].replace("+", "%2B"), StandardCharsets.UTF_8);
          }
        }
      } else {
        continue;
      }
      if (raw != null && p.getSchemaType() == SchemaType.STRING && !raw.matches("\\w+")) {
        raw = Json.encode(raw);
      }
      (p.getIn() == Location.QUERY ? query : path).put(p.getName(), new Value(raw));
    }
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    return new Input(path, query, new Value(body == null || body.length() == 0 ? null : body));
  }

  private record Value(Object get) implements RequestParameter {}

  private record Input(Map<String, RequestParameter> getPathParameters, Map<String, RequestParameter> getQuery,
      RequestParameter getBody) implements ValidatableRequest {
    @Override
    public Map<String, RequestParameter> getCookies() {
      return Map.of();
    }

    @Override
    public Map<String, RequestParameter> getHeaders() {
      return Map.of();
    }

    @Override
    public String getContentType() {
      return MediaType.APPLICATION_JSON;
    }
  }

  /**
   * The 400 answer: the problem type the operation's handlers use for a bad request (subscribers:
   * invalid-subscriber; otherwise invalid-request), invalid-json when the body is no JSON object.
   */
  static ProblemDetails problem(Operation op, ValidatorException e) {
    String type = op.getTags().contains("subscribers") ? "invalid-subscriber" : "invalid-request";
    String title = type.equals("invalid-subscriber") ? "Invalid subscriber" : "Invalid request";
    String message = e.getMessage() == null ? "" : e.getMessage();
    for (Parameter p : op.getParameters()) {
      String in = p.getIn().name().toLowerCase(Locale.ROOT);
      // The library names the parameter only in its message.
      if (message.contains(in + " parameter " + p.getName() + " ")
          || message.endsWith(in + " parameter " + p.getName())) {
        return ProblemDetails.of(400, type, title, parameter(p, e));
      }
    }
    if (e.type() == ValidatorErrorType.ILLEGAL_VALUE || e.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT) {
      return invalidJson();
    }
    if (e.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER && !(e instanceof SchemaValidationException)) {
      return ProblemDetails.of(400, type, title, "a JSON body is required: " + describe(bodySchema(op)));
    }
    if (e instanceof SchemaValidationException s && s.getOutputUnit() != null) {
      JsonObject schema = bodySchema(op);
      Failure f = failure(s.getOutputUnit());
      if (f.pointer().isEmpty() && f.keyword().equals("type")) {
        return invalidJson();
      }
      return ProblemDetails.of(400, type, title, field(schema, f));
    }
    return ProblemDetails.of(400, type, title, message);
  }

  private static ProblemDetails invalidJson() {
    return ProblemDetails.of(400, "invalid-json", "Invalid JSON", "the body must be a JSON object");
  }

  private static String parameter(Parameter p, ValidatorException e) {
    String what = p.getName() + " must be " + describe(p.getOpenAPIModel());
    if (e instanceof SchemaValidationException s && s.getOutputUnit() != null) {
      return what + " (" + failure(s.getOutputUnit()).error() + ")";
    }
    return what;
  }

  private record Failure(String pointer, String keyword, String error) {}

  /** The deepest error the validator reports: the one that names the field. */
  private static Failure failure(OutputUnit unit) {
    List<OutputUnit> all = new ArrayList<>();
    collect(unit, all);
    OutputUnit best = null;
    for (OutputUnit u : all) {
      if (u.getError() == null) {
        continue;
      }
      if (best == null || depth(u.getInstanceLocation()) > depth(best.getInstanceLocation())
          || depth(u.getInstanceLocation()) == depth(best.getInstanceLocation())
          && depth(u.getKeywordLocation()) > depth(best.getKeywordLocation())) {
        best = u;
      }
    }
    if (best == null) {
      return new Failure("", "", "invalid");
    }
    String location = best.getInstanceLocation() == null ? "" : best.getInstanceLocation();
    String keyword = best.getKeywordLocation() == null ? "" : best.getKeywordLocation();
    keyword = keyword.substring(keyword.lastIndexOf('/') + 1);
    return new Failure(location.startsWith("#") ? location.substring(1) : location, keyword, best.getError());
  }

  private static void collect(OutputUnit unit, List<OutputUnit> into) {
    into.add(unit);
    if (unit.getErrors() != null) {
      for (OutputUnit u : unit.getErrors()) {
        collect(u, into);
      }
    }
  }

  private static int depth(String pointer) {
    return pointer == null ? 0 : (int) pointer.chars().filter(c -> c == '/').count();
  }

  /** "field must be …" for the field the failure is at, in the words of the document. */
  private static String field(JsonObject schema, Failure f) {
    List<String> names = new ArrayList<>();
    for (String part : f.pointer().split("/")) {
      if (!part.isEmpty()) {
        names.add(part.replace("~1", "/").replace("~0", "~"));
      }
    }
    if (f.keyword().equals("additionalProperties") && !names.isEmpty()) {
      // The validator points at the unknown field itself.
      String unknown = names.remove(names.size() - 1);
      JsonObject parent = at(schema, names);
      Set<String> known = parent == null ? Set.of() : properties(parent).fieldNames();
      return "unknown field '" + unknown + "'" + (names.isEmpty() ? "" : " in " + String.join(".", names))
          + "; known: " + new TreeSet<>(known);
    }
    JsonObject at = at(schema, names);
    String where = names.isEmpty() ? "the body" : String.join(".", names);
    if (f.keyword().equals("required")) {
      String missing = quoted(f.error());
      JsonObject property = missing == null || at == null ? null : child(at, missing);
      return (missing == null ? "a field" : missing) + " is required"
          + (property == null ? "" : ": " + describe(property));
    }
    return where + " must be " + describe(at) + " (" + f.error() + ")";
  }

  private static JsonObject at(JsonObject schema, List<String> names) {
    JsonObject at = schema;
    for (String name : names) {
      at = child(at, name);
    }
    return at;
  }

  private static JsonObject child(JsonObject schema, String name) {
    if (schema == null) {
      return null;
    }
    JsonObject p = properties(schema).getJsonObject(name);
    if (p != null) {
      return p;
    }
    if (schema.getValue("items") instanceof JsonObject items && name.matches("\\d+")) {
      return items;
    }
    for (String key : List.of("allOf", "oneOf", "anyOf")) {
      if (schema.getValue(key) instanceof JsonArray list) {
        for (Object o : list) {
          JsonObject found = o instanceof JsonObject j ? child(j, name) : null;
          if (found != null) {
            return found;
          }
        }
      }
    }
    return null;
  }

  private static JsonObject properties(JsonObject schema) {
    return schema.getValue("properties") instanceof JsonObject p ? p : new JsonObject();
  }

  /** The first 'quoted' or "quoted" name in a validator message. */
  private static String quoted(String error) {
    if (error == null) {
      return null;
    }
    Matcher m = QUOTED.matcher(error);
    return m.find() ? m.group(1) : null;
  }

  private static JsonObject bodySchema(Operation op) {
    if (op.getRequestBody() == null) {
      return new JsonObject();
    }
    MediaType json = op.getRequestBody().getContent().get(MediaType.APPLICATION_JSON);
    return json == null ? new JsonObject() : json(json.getSchema());
  }

  private static JsonObject json(JsonSchema schema) {
    JsonObject out = new JsonObject();
    for (String name : schema.fieldNames()) {
      out.put(name, (Object) schema.get(name));
    }
    return out;
  }

  /** The description of a parameter or schema: the document words each as what the value must be. */
  private static String describe(JsonObject described) {
    String description = described == null ? null : described.getString("description");
    return description == null || description.isBlank() ? "as " + PATH + " describes it" : description;
  }

  /**
   * Which routes of a router the document and the router disagree on: routes it does not
   * describe, and operations no route serves. Empty when they agree. Middleware (routes for every
   * method without an exact path) and {@link #NOT_DOCUMENTED} paths are not endpoints here.
   */
  public List<String> drift(List<Route> routes) {
    Set<String> served = new TreeSet<>();
    List<String> out = new ArrayList<>();
    for (Route r : routes) {
      Set<HttpMethod> methods = r.methods();
      boolean anyMethod = methods == null || methods.isEmpty();
      String path = r.getPath();
      if (anyMethod && (path == null || !r.isExactPath())) {
        continue;
      }
      if (path == null) {
        out.add("a route by pattern the document cannot describe: " + methods + " " + r);
        continue;
      }
      if (NOT_DOCUMENTED.stream().anyMatch(p -> path.equals(p) || path.startsWith(p + "/"))) {
        continue;
      }
      String openApiPath = path.replaceAll(":([A-Za-z0-9_]+)", "{$1}") + (r.isExactPath() ? "" : "*");
      if (anyMethod) {
        out.add("a route for every method on " + openApiPath + " (the document names methods)");
        continue;
      }
      for (HttpMethod m : methods) {
        String key = m.name() + " " + openApiPath;
        served.add(key);
        boolean documented = contract.operations().stream().anyMatch(op -> op.getHttpMethod().equals(m)
            && op.getOpenAPIPath().equals(openApiPath));
        if (!documented) {
          out.add("not in the document: " + key);
        }
      }
    }
    for (Operation op : contract.operations()) {
      String key = op.getHttpMethod().name() + " " + op.getOpenAPIPath();
      if (!served.contains(key)) {
        out.add("in the document but no route serves it: " + key + " (" + op.getOperationId() + ")");
      }
    }
    return out;
  }
}
