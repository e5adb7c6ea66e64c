package org.omspush.receiver.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.omspush.fanout.Durations;
import org.omspush.fanout.Fanout;
import org.omspush.fanout.ProblemDetails;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.fanout.Subscribers;
import org.omspush.receiver.ops.IncidentId;
import org.omspush.store.Events;
import org.omspush.store.Outages;
import org.omspush.store.StoreFailures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port: the admin API under {@code /api/v1} (bearer token {@code OMS_ADMIN_TOKEN};
 * without one it stays off and says so), and nothing else: payload links have their own
 * listener ({@code PayloadVerticle}). JSON in and out; every error is RFC 9457 problem details.
 *
 * <pre>
 * POST   /api/v1/subscribers                        create → 201 with id and secret
 * GET    /api/v1/subscribers                        list
 * GET    /api/v1/subscribers/{id}
 * PATCH  /api/v1/subscribers/{id}                   change the fields given (PUT: the same)
 * DELETE /api/v1/subscribers/{id}                   → 204
 * POST   /api/v1/subscribers/{id}/secrets/rotate    {"secret"?, "previousSecretExpiresIn"?: "24h"}
 * GET    /api/v1/subscribers/{id}/deliveries        ?state=pending|delivered|skipped|dead&amp;limit=&amp;before=
 * GET    /api/v1/subscribers/{id}/dead-letters      ?limit=
 * POST   /api/v1/subscribers/{id}/replay            {"deliveryId"?} (or ?deliveryId=): all dead letters, or one
 * POST   /api/v1/subscribers/{id}/test              a test event sent now: the subscriber's answer
 * GET    /api/v1/claims, /api/v1/gates …            claims and AUP gates: {@link ClaimsApi}
 * GET    /api/v1/outages, /api/v1/market-events …   the read API: {@link ReadApi}
 * GET    /api/v1/openapi.json                       the OpenAPI 3.1 document that describes all of these
 * </pre>
 *
 * Every request to an operation of that document is validated against it first ({@link AdminContract}).
 */
public final class AdminVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AdminVerticle.class);
  private static final String JSON = "application/json";
  private static final long MAX_BODY = 256 * 1024;

  private final String host;
  private final int port;
  private final BearerToken token;
  private static final Set<String> ROTATE_FIELDS = Set.of("secret", "previousSecretExpiresIn");
  private static final Set<String> REPLAY_FIELDS = Set.of("deliveryId");

  private final Fanout fanout;
  private final AdminTls tls;
  private final ClaimsApi claims;
  private org.omspush.receiver.console.Console console;
  private HttpServer server;
  private Router router;
  private AdminContract contract;
  private MeterRegistry registry;

  /**
   * @param token null = the admin API stays off (every /api call answers 403 admin-api-off)
   * @param tls   null = plain HTTP
   */
  public AdminVerticle(String host, int port, String token, Fanout fanout, AdminTls tls, ClaimsApi claims) {
    this.host = host;
    this.port = port;
    this.token = token == null ? null : new BearerToken(token);
    this.fanout = fanout;
    this.tls = tls;
    this.claims = claims;
  }

  /** Adds the operator console under /console/ (it runs only when the admin token is set). */
  public AdminVerticle withConsole(org.omspush.receiver.console.Console console) {
    this.console = console;
    return this;
  }

  @Override
  public Future<?> start() {
    return AdminContract.load(vertx, registry).compose(this::serve);
  }

  /** Where the admin port counts what it refuses; without one it does not count. */
  public AdminVerticle countIn(MeterRegistry registry) {
    this.registry = registry;
    return this;
  }

  private Future<?> serve(AdminContract api) {
    contract = api;
    router = Router.router(vertx);
    if (token == null) {
      // 403, not 503: nothing is unavailable, this receiver was started without the API.
      router.route("/api/*").handler(ctx -> ProblemDetails.of(403, "admin-api-off", "Admin API is off",
          "OMS_ADMIN_TOKEN is not set, so the admin API does not run; set it and restart").send(ctx.response()));
    } else {
      router.route("/api/*").handler(this::authenticate);
      router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
      router.route("/api/*").handler(api::validate);
      router.get(AdminContract.PATH).handler(api::serve);
      routes(router);
      if (console != null) {
        console.mount(vertx, router);
      }
    }
    router.route().last().handler(ctx -> ProblemDetails.of(404, "not-found", "Not found",
        "no resource at " + ctx.request().path()).send(ctx.response()));
    router.errorHandler(405, ctx -> ProblemDetails.of(405, "method-not-allowed", "Method not allowed",
        ctx.request().method() + " is not allowed on " + ctx.request().path()).send(ctx.response()));
    router.errorHandler(413, ctx -> ProblemDetails.of(413, "too-large", "Request too large",
        "the body is larger than " + MAX_BODY + " bytes").send(ctx.response()));
    router.errorHandler(400, ctx -> ProblemDetails.of(400, "bad-request", "Bad request",
        "the request could not be read").send(ctx.response()));
    router.errorHandler(500, ctx -> fail(ctx, ctx.failure() != null ? ctx.failure()
        : new IllegalStateException("request failed without a cause")));
    HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port);
    if (tls != null) {
      options.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certChain().toString())
              .setKeyPath(tls.key().toString()))
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"));
    }
    String scheme = tls != null ? "https" : "http";
    server = vertx.createHttpServer(options).requestHandler(router);
    return server.listen().onSuccess(s -> {
      if (token == null) {
        log.warn("admin API OFF: OMS_ADMIN_TOKEN is not set; port {} ({}) answers 403", s.actualPort(), scheme);
      } else {
        log.info("admin API on {}://{}:{}/api/v1 (bearer token){}", scheme, host, s.actualPort(),
            console == null ? "" : ", console at /console/");
      }
    });
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** The routes the admin port serves, for checking them against the OpenAPI document. */
  public List<Route> routes() {
    return router.getRoutes();
  }

  /** The admin API's OpenAPI document as loaded at start-up. */
  public AdminContract contract() {
    return contract;
  }

  private void authenticate(RoutingContext ctx) {
    if (token.matches(ctx.request().getHeader("Authorization"))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"oms-admin\"");
    ProblemDetails.of(401, "unauthorized", "Unauthorized",
        "send the admin token as Authorization: Bearer <OMS_ADMIN_TOKEN>").send(ctx.response());
  }

  private void routes(Router r) {
    Subscribers subs = fanout.subscribers();
    r.post("/api/v1/subscribers").handler(ctx -> json(ctx).compose(j -> subs.create(AdminJson.draft(j)))
        .onComplete(reply(ctx, s -> {
          ctx.response().setStatusCode(201).putHeader("Location", "/api/v1/subscribers/" + s.id());
          return AdminJson.withSecret(s);
        })));
    r.get("/api/v1/subscribers").handler(ctx -> Future.succeededFuture(ctx).map(ParticipantFilter::of)
        .compose(participant -> subs.list().map(list -> ParticipantFilter.subscribers(list, participant)))
        .onComplete(reply(ctx, list -> new JsonObject()
            .put("items", new JsonArray(list.stream().map(AdminJson::subscriber).toList())))));
    r.get("/api/v1/subscribers/:id").handler(ctx -> id(ctx).compose(subs::get)
        .onComplete(reply(ctx, AdminJson::subscriber)));
    r.patch("/api/v1/subscribers/:id").handler(ctx -> update(ctx, subs));
    r.put("/api/v1/subscribers/:id").handler(ctx -> update(ctx, subs));
    r.delete("/api/v1/subscribers/:id").handler(ctx -> id(ctx).compose(subs::delete).onComplete(reply(ctx, v -> {
      ctx.response().setStatusCode(204);
      return null;
    })));
    r.post("/api/v1/subscribers/:id/secrets/rotate").handler(ctx -> id(ctx).compose(id -> json(ctx).compose(j -> {
      AdminJson.onlyKnown(j, ROTATE_FIELDS);
      Duration grace = null;
      Object g = j.getValue("previousSecretExpiresIn");
      if (g instanceof Number n) {
        grace = Duration.ofSeconds(n.longValue());
      } else if (g instanceof String text) {
        try {
          grace = Durations.parse(text);
        } catch (IllegalArgumentException e) {
          throw SubscriberProblem.invalid("previousSecretExpiresIn: " + e.getMessage());
        }
      } else if (g != null) {
        throw SubscriberProblem.invalid("previousSecretExpiresIn must be seconds or a duration such as 24h");
      }
      Object secret = j.getValue("secret");
      if (secret != null && !(secret instanceof String)) {
        throw SubscriberProblem.invalid("secret must be a string");
      }
      return subs.rotateSecret(id, (String) secret, grace);
    })).onComplete(reply(ctx, AdminJson::withSecret)));
    r.get("/api/v1/subscribers/:id/deliveries").handler(ctx -> deliveries(ctx, subs, ctx.queryParams().get("state")));
    r.get("/api/v1/subscribers/:id/dead-letters").handler(ctx -> deliveries(ctx, subs, "DEAD"));
    r.post("/api/v1/subscribers/:id/replay").handler(ctx -> id(ctx).compose(id -> json(ctx).compose(j -> {
      AdminJson.onlyKnown(j, REPLAY_FIELDS);
      Object one = j.getValue("deliveryId", ctx.queryParams().get("deliveryId"));
      UUID deliveryId = null;
      if (one != null) {
        deliveryId = uuid(one.toString(), "deliveryId");
      }
      return subs.replay(id, deliveryId);
    })).onComplete(reply(ctx, ids -> new JsonObject().put("replayed", ids.size())
        .put("deliveryIds", new JsonArray(ids.stream().map(UUID::toString).toList())))));
    r.post("/api/v1/subscribers/:id/test").handler(ctx -> id(ctx).compose(id -> subs.sendTest(id)
        .map(answer -> new JsonObject().put("answered", true).put("status", answer.status())
            .put("excerpt", answer.excerpt()))
        .recover(e -> e instanceof SubscriberProblem ? Future.failedFuture(e)
            : Future.succeededFuture(new JsonObject().put("answered", false).put("error", String.valueOf(e.getMessage())))))
        .onComplete(reply(ctx, j -> j)));
    claims.mount(r);
    new ReadApi(new Outages(fanout.pool()), new Events(fanout.pool()), fanout.payloadDownloads()).mount(r);
  }

  private void update(RoutingContext ctx, Subscribers subs) {
    id(ctx).compose(id -> json(ctx).compose(j -> subs.update(id, AdminJson.draft(j))))
        .onComplete(reply(ctx, AdminJson::subscriber));
  }

  private void deliveries(RoutingContext ctx, Subscribers subs, String state) {
    String beforeText = ctx.queryParams().get("before");
    OffsetDateTime before;
    try {
      before = beforeText == null ? null : OffsetDateTime.parse(beforeText);
    } catch (DateTimeParseException e) {
      fail(ctx, SubscriberProblem.invalid("before must be an RFC 3339 time, e.g. 2026-11-21T17:03:12Z"));
      return;
    }
    id(ctx).compose(id -> limit(ctx).compose(limit -> subs.deliveries(id, state, limit, before,
            ParticipantFilter.of(ctx))))
        .onComplete(reply(ctx, list -> new JsonObject()
            .put("items", new JsonArray(list.stream().map(AdminJson::delivery).toList()))));
  }

  private static Future<Integer> limit(RoutingContext ctx) {
    String v = ctx.queryParams().get("limit");
    if (v == null) {
      return Future.succeededFuture(100);
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= 1000) {
        return Future.succeededFuture(n);
      }
    } catch (NumberFormatException e) {
      // below
    }
    return Future.failedFuture(SubscriberProblem.invalid("limit must be 1 to 1000"));
  }

  private static Future<UUID> id(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    try {
      return Future.succeededFuture(UUID.fromString(id));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(SubscriberProblem.notFound("no subscriber " + id));
    }
  }

  private static UUID uuid(String text, String name) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw SubscriberProblem.invalid(name + " is not a delivery id");
    }
  }

  /** The body as a JSON object; an empty body is {}. */
  private static Future<JsonObject> json(RoutingContext ctx) {
    String body = ctx.body() == null ? null : ctx.body().asString();
    if (body == null || body.isBlank()) {
      return Future.succeededFuture(new JsonObject());
    }
    try {
      return Future.succeededFuture(new JsonObject(body));
    } catch (DecodeException | ClassCastException | NullPointerException e) {
      return Future.failedFuture(new SubscriberProblem(ProblemDetails.of(400, "invalid-json", "Invalid JSON",
          "the body must be a JSON object")));
    }
  }

  private static <T> io.vertx.core.Handler<io.vertx.core.AsyncResult<T>> reply(RoutingContext ctx,
      java.util.function.Function<T, JsonObject> render) {
    return ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      JsonObject body;
      try {
        body = render.apply(ar.result());
      } catch (RuntimeException e) {
        fail(ctx, e);
        return;
      }
      if (body == null) {
        ctx.response().end();
      } else {
        ctx.response().putHeader("Content-Type", JSON).end(body.encode());
      }
    };
  }

  /**
   * A client's mistake is a 4xx; 503 only when the database cannot serve now; anything else is
   * ours: 500 with an incident id that the ERROR log line with the details carries too.
   */
  private static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof SubscriberProblem p) {
      p.problem().send(ctx.response());
      return;
    }
    String method = ctx.request().method().name();
    String path = ctx.request().path();
    if (StoreFailures.refusedData(e)) {
      log.warn("admin API {} {} refused by the database: {}", method, path, e.toString());
      ProblemDetails.of(400, "invalid-value", "Invalid value", "the database refused a value of the request "
          + "(text with a NUL character, out of range or a duplicate); correct it and send again")
          .send(ctx.response());
      return;
    }
    if (StoreFailures.unavailable(e)) {
      log.warn("admin API {} {}: database unavailable: {}", method, path, e.toString());
      if (!ctx.response().headWritten()) {
        ctx.response().putHeader("Retry-After", "5");
      }
      ProblemDetails.of(503, "unavailable", "Service unavailable",
          "the receiver's database is unavailable; try again shortly").send(ctx.response());
      return;
    }
    IncidentId incident = IncidentId.next();
    log.atError().setMessage("admin API {} {} failed incident={}").addArgument(method).addArgument(path)
        .addArgument(incident).addKeyValue("incident", incident.value()).setCause(e).log();
    if (ctx.response().ended() || ctx.response().headWritten()) {
      return;
    }
    JsonObject problem = ProblemDetails.of(500, "internal", "Internal error", "the request failed on the receiver's "
        + "side; the receiver's log has the details under incident " + incident).toJson()
        .put("incident", incident.value());
    ctx.response().setStatusCode(500).putHeader("Content-Type", ProblemDetails.CONTENT_TYPE).end(problem.encode());
  }
}
