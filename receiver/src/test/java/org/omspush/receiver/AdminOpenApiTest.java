package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.admin.AdminContract;
import org.omspush.store.testing.TestDatabase;

/**
 * The admin API's OpenAPI 3.1 document on a real receiver: it is served, it loads as OpenAPI 3.1,
 * it names every route of the admin router and nothing else, and requests that do not fit it are
 * refused with a 400 problem that names the parameter or field.
 */
class AdminOpenApiTest {
  static final String TOKEN = "openapi-test-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static Vertx vertx;
  static TestReceiver receiver;
  static AdminResponses responses;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    receiver = TestReceiver.start(DevPki.generate(dir), TestDatabase.fresh(), Map.of("OMS_ADMIN_TOKEN", TOKEN));
    responses = new AdminResponses();
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
    responses.close();
    await(vertx.close());
  }

  private static HttpResponse<String> call(String method, String path, String body) throws Exception {
    return call(method, path, body, "application/json", TOKEN);
  }

  private static HttpResponse<String> call(String method, String path, String body, String contentType, String token)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.app.adminPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .timeout(Duration.ofSeconds(30));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return responses.check(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  /** The problem's detail, after checking it is a 400 problem of that type. */
  private static String problem(HttpResponse<String> r, String type) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
    JsonObject p = new JsonObject(r.body());
    assertThat(p.getInteger("status")).isEqualTo(400);
    assertThat(p.getString("type")).as(r.body()).isEqualTo("urn:omspush:problem:" + type);
    assertThat(p.getString("title")).isNotBlank();
    return p.getString("detail");
  }

  private static String subscriber() throws Exception {
    HttpResponse<String> created = call("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "https://93.184.216.34/oms").put("eventTypes", new JsonArray().add("market.event")).encode());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  private static int subscribers() throws Exception {
    HttpResponse<String> list = call("GET", "/api/v1/subscribers", null);
    assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
    return new JsonObject(list.body()).getJsonArray("items").size();
  }

  @Test
  void the_document_is_served_with_the_token_and_loads_as_openapi_3_1() throws Exception {
    HttpResponse<String> r = call("GET", "/api/v1/openapi.json", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject doc = new JsonObject(r.body());
    assertThat(doc.getString("openapi")).isEqualTo("3.1.0");
    OpenAPIContract contract = await(OpenAPIContract.from(vertx, AdminContract.forValidator(doc)));
    assertThat(contract.getVersion()).isEqualTo(OpenAPIVersion.V3_1);
    assertThat(contract.securityScheme("bearer").getScheme()).isEqualTo("bearer");
    assertThat(contract.getSecurityRequirements()).extracting(s -> s.getNames()).containsExactly(Set.of("bearer"));
    assertThat(contract.operation("getOutageHistory").getOpenAPIPath()).isEqualTo("/api/v1/outages/{participant}/{mrid}");
    // The copy for the validator differs only in the response media types it cannot take.
    JsonObject problem = doc.getJsonObject("components").getJsonObject("responses").getJsonObject("BadRequest");
    assertThat(problem.getJsonObject("content").fieldNames()).containsExactly("application/problem+json");
    assertThat(AdminContract.forValidator(doc).getJsonObject("components").getJsonObject("responses")
        .getJsonObject("BadRequest").containsKey("content")).isFalse();
    assertThat(AdminContract.forValidator(doc).getJsonObject("paths")).isNotEqualTo(doc.getJsonObject("paths"));
    assertThat(AdminContract.forValidator(doc).getJsonObject("components").getJsonObject("schemas"))
        .isEqualTo(doc.getJsonObject("components").getJsonObject("schemas"));
    // Every operation answers problem details for its errors, paged lists say how to page.
    for (Operation op : contract.operations()) {
      JsonObject raw = doc.getJsonObject("paths").getJsonObject(op.getOpenAPIPath())
          .getJsonObject(op.getHttpMethod().name().toLowerCase(java.util.Locale.ROOT));
      assertThat(raw.getJsonObject("responses").fieldNames()).as(op.getOperationId())
          .contains("401", "403", "500", "503");
      assertThat(op.getResponse(401)).as(op.getOperationId()).isNotNull();
      assertThat(op.getResponse(403)).as(op.getOperationId()).isNotNull();
    }
    assertThat(contract.operation("listOutages").getParameters()).extracting(p -> p.getName())
        .contains("cursor", "limit");

    HttpResponse<String> anonymous = call("GET", "/api/v1/openapi.json", null, null, null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
  }

  @Test
  void a_document_that_is_not_openapi_3_1_is_refused_by_the_loader() {
    JsonObject broken = new JsonObject().put("openapi", "3.1.0").put("info", new JsonObject().put("title", "x"))
        .put("paths", new JsonObject().put("/a", new JsonObject().put("get", new JsonObject().put("responses", 7))));
    assertThat(OpenAPIContract.from(vertx, broken).toCompletionStage().toCompletableFuture())
        .failsWithin(Duration.ofSeconds(30));
  }

  @Test
  void every_route_of_the_admin_router_is_in_the_document_and_every_operation_has_a_route() {
    List<Route> routes = receiver.app.admin().routes();
    Set<String> seen = new TreeSet<>();
    for (Route r : routes) {
      if (r.methods() != null && r.getPath() != null) {
        r.methods().forEach(m -> seen.add(m.name() + " " + r.getPath()));
      }
    }
    // The enumeration sees the real routes, old and new.
    assertThat(seen).contains("POST /api/v1/subscribers", "PUT /api/v1/subscribers/:id",
        "POST /api/v1/gates/:identity/:service/clear", "GET /api/v1/outages/:participant/:mrid",
        "GET /api/v1/payloads/:id", "GET /api/v1/openapi.json");
    assertThat(receiver.app.admin().contract().drift(routes)).isEmpty();
  }

  @Test
  void drift_either_way_is_reported_and_only_the_console_is_left_out() {
    AdminContract contract = receiver.app.admin().contract();
    Router router = Router.router(vertx);
    router.route("/api/*").handler(ctx -> ctx.next());
    for (Route r : receiver.app.admin().routes()) {
      if (r.methods() != null && r.getPath() != null && !r.getPath().equals("/api/v1/gates")) {
        r.methods().forEach(m -> router.route(m, r.getPath()).handler(ctx -> ctx.end()));
      }
    }
    router.get("/api/v1/subscribers/:id/notes").handler(ctx -> ctx.end());
    router.route("/api/v1/everything").handler(ctx -> ctx.end());
    router.get("/console").handler(ctx -> ctx.end());
    router.get("/console/").handler(ctx -> ctx.end());
    router.get("/consoles").handler(ctx -> ctx.end());
    router.post("/console/sign-in").handler(ctx -> ctx.end());
    router.route().last().handler(ctx -> ctx.end());

    assertThat(contract.drift(router.getRoutes())).containsExactlyInAnyOrder(
        "not in the document: GET /api/v1/subscribers/{id}/notes",
        "not in the document: GET /consoles",
        "a route for every method on /api/v1/everything (the document names methods)",
        "in the document but no route serves it: GET /api/v1/gates (listGates)");
  }

  @Test
  void the_answers_fit_the_documents_response_schemas() throws Exception {
    int before = responses.checked();
    String id = subscriber();
    for (String path : List.of("/api/v1/subscribers/" + id, "/api/v1/subscribers", "/api/v1/subscribers?participant=P1",
        "/api/v1/subscribers/" + id + "/deliveries?state=dead", "/api/v1/subscribers/" + id + "/dead-letters",
        "/api/v1/claims", "/api/v1/gates", "/api/v1/outages", "/api/v1/market-events")) {
      assertThat(call("GET", path, null).statusCode()).as(path).isEqualTo(200);
    }
    HttpResponse<String> patched = call("PATCH", "/api/v1/subscribers/" + id, new JsonObject()
        .put("description", "desk").put("outageTypes", new JsonArray().add("FORCED")).put("maxInFlight", 4)
        .put("participants", new JsonArray().add("P1")).encode());
    assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
    assertThat(call("POST", "/api/v1/subscribers/" + id + "/secrets/rotate", "{\"previousSecretExpiresIn\": \"1h\"}")
        .statusCode()).isEqualTo(200);
    assertThat(call("POST", "/api/v1/subscribers/" + id + "/replay", null).statusCode()).isEqualTo(200);
    assertThat(call("POST", "/api/v1/claims/retry", "{\"state\": \"dead\", \"limit\": 5}").statusCode())
        .isEqualTo(200);
    assertThat(responses.checked() - before).isEqualTo(14);
  }

  @Test
  void a_refused_request_is_counted_by_operation() throws Exception {
    double before = refused("listGates");
    problem(call("GET", "/api/v1/claims?limit=0", null), "invalid-request");
    assertThat(refused("listClaims")).isGreaterThanOrEqualTo(1);
    assertThat(receiver.app.metrics().scrape()).contains("oms_admin_requests_refused_total{operation=\"listClaims\"}");
    assertThat(call("GET", "/api/v1/gates", null).statusCode()).isEqualTo(200);
    assertThat(refused("listGates")).isEqualTo(before);
  }

  private static double refused(String operation) {
    var c = receiver.app.metrics().find("oms.admin.requests.refused").tag("operation", operation).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void query_parameters_of_the_wrong_type_or_out_of_range_are_400_naming_them() throws Exception {
    assertThat(problem(call("GET", "/api/v1/claims?limit=ten", null), "invalid-request"))
        .startsWith("limit must be a whole number from 1 to 1000").contains("integer");
    assertThat(problem(call("GET", "/api/v1/outages?limit=1.5", null), "invalid-request"))
        .startsWith("limit must be a whole number from 1 to 500");
    assertThat(problem(call("GET", "/api/v1/market-events?limit=501", null), "invalid-request"))
        .startsWith("limit must be a whole number from 1 to 500");
    String id = subscriber();
    assertThat(problem(call("GET", "/api/v1/subscribers/" + id + "/dead-letters?limit=0", null), "invalid-subscriber"))
        .startsWith("limit must be a whole number from 1 to 1000");
    assertThat(problem(call("GET", "/api/v1/subscribers?participant=no%20key", null), "invalid-subscriber"))
        .startsWith("participant must be a participant key");
  }

  @Test
  void enum_values_outside_the_document_are_400_listing_the_values() throws Exception {
    assertThat(problem(call("GET", "/api/v1/claims?state=LOST", null), "invalid-request"))
        .startsWith("state must be one of pending, superseded, redeemed, dead, unserviceable");
    String id = subscriber();
    assertThat(problem(call("GET", "/api/v1/subscribers/" + id + "/deliveries?state=bounced", null),
        "invalid-subscriber")).startsWith("state must be one of pending, delivered, skipped, dead");
    assertThat(problem(call("POST", "/api/v1/claims/retry", "{\"state\": \"REDEEMED\"}"), "invalid-request"))
        .startsWith("state must be DEAD or UNSERVICEABLE");
    // Both cases are the document's values, as the handlers always took them.
    assertThat(call("GET", "/api/v1/claims?state=dead", null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/api/v1/claims?state=DEAD", null).statusCode()).isEqualTo(200);
  }

  @Test
  void malformed_json_and_bodies_that_are_no_object_are_400_invalid_json() throws Exception {
    int before = subscribers();
    for (String body : List.of("{\"url\": ", "[1, 2]", "null", "\"text\"", "{\"url\": \"https://93.184.216.34/a\",}")) {
      assertThat(problem(call("POST", "/api/v1/subscribers", body), "invalid-json"))
          .as(body).isEqualTo("the body must be a JSON object");
    }
    assertThat(problem(call("POST", "/api/v1/claims/retry", "{state: DEAD}"), "invalid-json")).isNotBlank();
    assertThat(subscribers()).isEqualTo(before);
  }

  @Test
  void unknown_body_fields_are_400_naming_the_field_and_the_known_ones() throws Exception {
    int before = subscribers();
    String detail = problem(call("POST", "/api/v1/subscribers", new JsonObject().put("url", "https://93.184.216.34/b")
        .put("eventTypes", new JsonArray().add("market.event")).put("colour", "red").encode()), "invalid-subscriber");
    assertThat(detail).startsWith("unknown field 'colour'").contains("eventTypes", "url");
    assertThat(subscribers()).as("nothing half-written").isEqualTo(before);
    assertThat(problem(call("POST", "/api/v1/claims/retry", "{\"state\": \"DEAD\", \"force\": true}"),
        "invalid-request")).startsWith("unknown field 'force'").contains("limit", "service", "state");
    String id = subscriber();
    assertThat(problem(call("PATCH", "/api/v1/subscribers/" + id, "{\"secret\": \"whsec_x\"}"), "invalid-subscriber"))
        .startsWith("unknown field 'secret'");
    assertThat(problem(call("POST", "/api/v1/subscribers/" + id + "/secrets/rotate",
        "{\"previousSecretExpiresAfter\": \"1h\"}"), "invalid-subscriber"))
        .startsWith("unknown field 'previousSecretExpiresAfter'");
    assertThat(problem(call("POST", "/api/v1/subscribers/" + id + "/replay", "{\"delivery\": \"x\"}"),
        "invalid-subscriber")).startsWith("unknown field 'delivery'");
  }

  @Test
  void body_fields_of_the_wrong_type_or_range_and_missing_ones_are_400_naming_the_field() throws Exception {
    String id = subscriber();
    assertThat(problem(call("PATCH", "/api/v1/subscribers/" + id, "{\"maxInFlight\": 0}"), "invalid-subscriber"))
        .startsWith("maxInFlight must be a whole number from 1 to 64");
    assertThat(problem(call("PATCH", "/api/v1/subscribers/" + id, "{\"enabled\": \"yes\"}"), "invalid-subscriber"))
        .startsWith("enabled must be true or false");
    assertThat(problem(call("PATCH", "/api/v1/subscribers/" + id, "{\"eventTypes\": [\"outage.deleted\"]}"),
        "invalid-subscriber")).startsWith("eventTypes.0 must be outage.status-changed or market.event");
    assertThat(problem(call("POST", "/api/v1/subscribers", "{\"eventTypes\": [\"market.event\"]}"),
        "invalid-subscriber")).startsWith("url is required");
    assertThat(problem(call("POST", "/api/v1/claims/retry", "{}"), "invalid-request"))
        .isEqualTo("state is required: DEAD or UNSERVICEABLE");
    assertThat(problem(call("POST", "/api/v1/claims/retry", "{\"state\": \"DEAD\", \"limit\": \"ten\"}"),
        "invalid-request")).startsWith("limit must be a whole number from 1 to 10000");
    assertThat(problem(call("POST", "/api/v1/claims/retry", null), "invalid-request"))
        .startsWith("a JSON body is required");
  }

  @Test
  void requests_that_fit_pass_as_before() throws Exception {
    // Text that looks like a number or holds characters a second URL decoding would change is text.
    assertThat(call("GET", "/api/v1/outages?q=1.5", null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/api/v1/outages?q=-12", null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/api/v1/outages?q=100%25", null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/api/v1/outages/P1/12.5", null).statusCode()).isEqualTo(404);
    assertThat(call("GET", "/api/v1/outages?participant=", null).statusCode()).isEqualTo(200);
    // A JSON body is read as JSON whatever its Content-Type, as the handlers always did.
    HttpResponse<String> created = call("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "https://93.184.216.34/c").put("eventTypes", new JsonArray().add("market.event")).encode(),
        "application/x-www-form-urlencoded", TOKEN);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = new JsonObject(created.body()).getString("id");
    // No body where the body is optional.
    assertThat(call("POST", "/api/v1/subscribers/" + id + "/secrets/rotate", null, null, TOKEN).statusCode())
        .isEqualTo(200);
    // A subscriber id that is no UUID is still a 404, not a 400.
    assertThat(call("GET", "/api/v1/subscribers/not-a-uuid", null).statusCode()).isEqualTo(404);
  }

  @Test
  void a_test_event_is_sent_at_once_signed_and_its_answer_or_its_absence_reported() throws Exception {
    java.util.List<io.vertx.core.http.HttpServerRequest> heads = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.vertx.core.http.HttpServer hook = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      heads.add(req);
      bodies.add(b.toString());
      req.response().setStatusCode(202).end("got it");
    })).listen(0, "127.0.0.1"));
    HttpResponse<String> created = call("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "http://127.0.0.1:" + hook.actualPort() + "/hook")
        .put("eventTypes", new JsonArray().add("market.event")).encode());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonObject sub = new JsonObject(created.body());

    HttpResponse<String> sent = call("POST", "/api/v1/subscribers/" + sub.getString("id") + "/test", null);
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
    assertThat(new JsonObject(sent.body()).getMap()).containsEntry("answered", true).containsEntry("status", 202)
        .containsEntry("excerpt", "got it");
    assertThat(bodies).hasSize(1);
    java.net.http.HttpHeaders headers = java.net.http.HttpHeaders.of(heads.get(0).headers().entries().stream()
        .collect(java.util.stream.Collectors.groupingBy(e -> e.getKey().toLowerCase(java.util.Locale.ROOT),
            java.util.stream.Collectors.mapping(Map.Entry::getValue, java.util.stream.Collectors.toList()))), (a, b) -> true);
    new com.standardwebhooks.Webhook(sub.getString("secret")).verify(bodies.get(0), headers);
    assertThat(new JsonObject(bodies.get(0)).getString("type")).isEqualTo("org.omspush.test");

    await(hook.close());
    HttpResponse<String> unanswered = call("POST", "/api/v1/subscribers/" + sub.getString("id") + "/test", null);
    assertThat(unanswered.statusCode()).as(unanswered.body()).isEqualTo(200);
    assertThat(new JsonObject(unanswered.body()).getBoolean("answered")).isFalse();
    assertThat(new JsonObject(unanswered.body()).getString("error")).isNotBlank();
    assertThat(call("POST", "/api/v1/subscribers/" + UUID.randomUUID() + "/test", null).statusCode()).isEqualTo(404);
  }
}
