package org.omspush.receiver.admin;

import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.RetrieveServices;
import org.omspush.fanout.ProblemDetails;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.store.Claims;
import org.omspush.store.StateCounts;
import org.omspush.store.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' claims and AUP gates, under the admin API's bearer token:
 *
 * <pre>
 * GET  /api/v1/claims                          ?participant=&amp;state=&amp;service=&amp;limit=&amp;cursor= newest first, keyset pages
 * POST /api/v1/claims/{id}/retry               a DEAD or UNSERVICEABLE claim back to PENDING, in its place
 * POST /api/v1/claims/retry                    {"state": "DEAD", "service"?, "limit"?}: in bulk, bounded
 * GET  /api/v1/gates                           every identity and service: next call, last call, refusal
 * POST /api/v1/gates/{identity}/{service}/clear the ISO granted access again (after a 403)
 * </pre>
 */
public final class ClaimsApi {
  private static final Logger log = LoggerFactory.getLogger(ClaimsApi.class);
  private static final String JSON = "application/json";
  private static final List<String> RETRYABLE = List.of("DEAD", "UNSERVICEABLE");
  static final int BULK_DEFAULT = 1000;
  static final int BULK_MAX = 10_000;

  private final Claims claims;
  private final org.omspush.claimcheck.retrieve.ParticipantIdentities participants;

  /** @param participants the participants' certificates now (none when the ISO is not configured) */
  public ClaimsApi(Claims claims, org.omspush.claimcheck.retrieve.ParticipantIdentities participants) {
    this.claims = claims;
    this.participants = participants;
  }

  /** Adds the routes; the router authenticates /api/* before them. */
  public void mount(Router r) {
    r.get("/api/v1/claims").handler(this::list);
    r.post("/api/v1/claims/retry").handler(this::retryAll);
    r.post("/api/v1/claims/:id/retry").handler(this::retryOne);
    r.get("/api/v1/gates").handler(this::gates);
    r.post("/api/v1/gates/:identity/:service/clear").handler(this::clearGate);
  }

  private void list(RoutingContext ctx) {
    String state = upper(ctx.queryParams().get("state"));
    if (state != null && !StateCounts.CLAIM_STATES.contains(state)) {
      invalid(ctx, "state must be one of " + String.join(", ", StateCounts.CLAIM_STATES).toLowerCase(Locale.ROOT));
      return;
    }
    String service = blankToNull(ctx.queryParams().get("service"));
    Integer limit = number(ctx.queryParams().get("limit"), 100, 1000);
    if (limit == null) {
      invalid(ctx, "limit must be 1 to 1000");
      return;
    }
    String cursor = blankToNull(ctx.queryParams().get("cursor"));
    Long after = cursor == null ? null : cursorId(cursor);
    if (cursor != null && after == null) {
      invalid(ctx, "cursor is not one this API handed out (use nextCursor of the previous page)");
      return;
    }
    String participant;
    try {
      participant = ParticipantFilter.of(ctx);
    } catch (SubscriberProblem e) {
      e.problem().send(ctx.response());
      return;
    }
    reply(ctx, claims.list(participant, state, service, after, limit), page -> {
      JsonObject body = new JsonObject()
          .put("items", new JsonArray(page.claims().stream().map(ClaimsApi::claim).toList()));
      if (page.nextAfter() != null) {
        body.put("nextCursor", cursorOf(page.nextAfter()));
      }
      return body;
    });
  }

  private void retryOne(RoutingContext ctx) {
    String text = ctx.pathParam("id");
    long id;
    try {
      id = Long.parseLong(text);
    } catch (NumberFormatException e) {
      notFound(ctx, "no claim " + text);
      return;
    }
    claims.retry(id).onComplete(ar -> {
      if (ar.failed()) {
        failed(ctx, ar.cause());
      } else if (!ar.result().found()) {
        notFound(ctx, "no claim " + id);
      } else if (!ar.result().retried()) {
        ProblemDetails.of(409, "claim-not-retryable", "Claim not retryable", "claim " + id + " is "
            + ar.result().previousState() + "; only DEAD and UNSERVICEABLE claims are retried").send(ctx.response());
      } else {
        log.info("operator: claim {} retried ({} before)", id, ar.result().previousState());
        json(ctx, new JsonObject().put("id", id).put("state", "PENDING")
            .put("previousState", ar.result().previousState()));
      }
    });
  }

  private void retryAll(RoutingContext ctx) {
    JsonObject body = body(ctx);
    if (body == null) {
      invalid(ctx, "the body must be a JSON object such as {\"state\": \"DEAD\"}");
      return;
    }
    String state = body.getValue("state") instanceof String s ? upper(s) : null;
    if (state == null || !RETRYABLE.contains(state)) {
      invalid(ctx, "state must be DEAD or UNSERVICEABLE");
      return;
    }
    Object service = body.getValue("service");
    if (service != null && !(service instanceof String)) {
      invalid(ctx, "service must be a string");
      return;
    }
    Object limitValue = body.getValue("limit");
    Integer limit = limitValue == null ? Integer.valueOf(BULK_DEFAULT)
        : limitValue instanceof Number n ? number(n.toString(), BULK_DEFAULT, BULK_MAX) : null;
    if (limit == null) {
      invalid(ctx, "limit must be 1 to " + BULK_MAX);
      return;
    }
    reply(ctx, claims.retryAll(state, blankToNull((String) service), limit), done -> {
      log.info("operator: {} {} claims retried{}", done.retried(), state, done.more() ? " (more left)" : "");
      return new JsonObject().put("retried", done.retried()).put("more", done.more());
    });
  }

  private void gates(RoutingContext ctx) {
    reply(ctx, claims.gates(), rows -> {
      Map<String, JsonObject> byKey = new LinkedHashMap<>();
      for (var e : participants.identities().entrySet()) {
        IsoIdentity id = e.getValue();
        for (String service : RetrieveServices.ALL.stream().sorted().toList()) {
          if (id.serves(service)) {
            byKey.put(id.gateKey() + "|" + service, new JsonObject().put("identity", id.gateKey())
                .put("participant", e.getKey())
                .put("subject", id.subjectDn()).put("service", service).put("configured", true)
                .put("calls", 0L).put("refused", false));
          }
        }
      }
      for (Claims.Gate g : rows) {
        JsonObject item = byKey.computeIfAbsent(g.identity() + "|" + g.service(), k -> new JsonObject()
            .put("identity", g.identity()).put("service", g.service()).put("configured", false));
        item.put("nextAllowedAt", AdminJson.time(g.nextAllowedAt())).put("opensInSeconds", g.opensInSeconds())
            .put("lastCallAt", AdminJson.time(g.lastTakenAt())).put("lastOutcome", g.lastOutcome())
            .put("lastOutcomeAt", AdminJson.time(g.lastOutcomeAt())).put("calls", g.calls())
            .put("aupPages", g.aupPages())
            .put("refused", g.refusedAt() != null).put("refusedAt", AdminJson.time(g.refusedAt()))
            .put("refusedReason", g.refusedReason());
      }
      return new JsonObject().put("items", new JsonArray(new ArrayList<>(byKey.values())));
    });
  }

  private void clearGate(RoutingContext ctx) {
    String identity = ctx.pathParam("identity");
    String service = ctx.pathParam("service");
    // The identity as GET /api/v1/gates names it, the certificate's subject, or the participant's key.
    var now = participants.identities();
    String key = now.containsKey(identity) ? now.get(identity).gateKey()
        : now.values().stream().filter(i -> i.subjectDn().equals(identity)).map(IsoIdentity::gateKey)
            .findFirst().orElse(identity);
    claims.clearGate(key, service).onComplete(ar -> {
      if (ar.failed()) {
        failed(ctx, ar.cause());
      } else if (!ar.result()) {
        notFound(ctx, "no AUP gate for identity " + identity + " and service " + service);
      } else {
        log.warn("operator: AUP gate of {} for {} cleared; calls resume", identity, service);
        json(ctx, new JsonObject().put("identity", key).put("service", service).put("refused", false));
      }
    });
  }

  private static JsonObject claim(Claims.Claim c) {
    return new JsonObject().put("id", c.id()).put("participant", c.participant()).put("kind", c.kind()).put("outageMRID", c.outageMRID())
        .put("outageType", c.outageType()).put("version", c.version()).put("status", c.status())
        .put("previousStatus", c.previousStatus()).put("lastModified", AdminJson.time(c.lastModified()))
        .put("marketEventId", c.marketEventId()).put("eventId", c.eventId()).put("service", c.service())
        .put("expiresAt", AdminJson.time(c.expiresAt())).put("lookup", c.lookup()).put("payloadId", c.payloadId())
        .put("state", c.state())
        .put("deadReason", c.deadReason()).put("attempts", c.attempts())
        .put("transientFailures", c.transientFailures()).put("lostFetches", c.lostFetches())
        .put("lastError", c.lastError()).put("nextAttemptAt", AdminJson.time(c.nextAttemptAt()))
        .put("fetchStartedAt", AdminJson.time(c.fetchStartedAt())).put("createdAt", AdminJson.time(c.createdAt()))
        .put("updatedAt", AdminJson.time(c.updatedAt())).put("redeemedAt", AdminJson.time(c.redeemedAt()))
        .put("retriedAt", AdminJson.time(c.retriedAt()));
  }

  /** Opaque to clients; the id below which the next page starts. */
  static String cursorOf(long id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("claim:" + id).getBytes(StandardCharsets.UTF_8));
  }

  private static Long cursorId(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      return text.startsWith("claim:") ? Long.valueOf(text.substring(6)) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String upper(String s) {
    String v = blankToNull(s);
    return v == null ? null : v.toUpperCase(Locale.ROOT);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  /** The number, defaultValue when absent, null when not a whole number from 1 to max. */
  private static Integer number(String text, int defaultValue, int max) {
    if (text == null) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(text.strip());
      return n >= 1 && n <= max ? n : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The body as a JSON object, {} when empty, null when not a JSON object. */
  private static JsonObject body(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      return new JsonObject();
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  private static <T> void reply(RoutingContext ctx, Future<T> result, Function<T, JsonObject> render) {
    result.onComplete(ar -> {
      if (ar.failed()) {
        failed(ctx, ar.cause());
      } else {
        json(ctx, render.apply(ar.result()));
      }
    });
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", JSON).end(body.encode());
  }

  private static void invalid(RoutingContext ctx, String detail) {
    ProblemDetails.of(400, "invalid-request", "Invalid request", detail).send(ctx.response());
  }

  private static void notFound(RoutingContext ctx, String detail) {
    ProblemDetails.of(404, "not-found", "Not found", detail).send(ctx.response());
  }

  private static void failed(RoutingContext ctx, Throwable e) {
    if (e instanceof StoreUnavailableException) {
      log.warn("admin API {} {}: {}", ctx.request().method(), ctx.request().path(), e.getMessage());
      ProblemDetails.of(503, "unavailable", "Service unavailable", "the database is unavailable; try again")
          .send(ctx.response());
    } else {
      log.error("admin API {} {} failed", ctx.request().method(), ctx.request().path(), e);
      ProblemDetails.of(500, "internal", "Internal error", "the request failed; see the receiver's log")
          .send(ctx.response());
    }
  }
}
