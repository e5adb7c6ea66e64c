package org.omspush.receiver.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.omspush.fanout.PayloadDownloads;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.store.Events;
import org.omspush.store.Outages;
import org.omspush.store.ParticipantKey;

/**
 * The read API: what happened to each outage and market event, from the ISO's push to each
 * subscriber's answer. Read only (invariant 10). Parameters are checked by {@link ReadParameters};
 * a failure goes to the admin router's error handler (problem details).
 *
 * <pre>
 * GET /api/v1/outages                      ?participant=&amp;status=&amp;type=&amp;changedSince=&amp;q=
 *                                          &amp;limit=&amp;cursor=
 * GET /api/v1/outages/{participant}/{mRID} versions, claims, documents, deliveries per subscriber
 * GET /api/v1/market-events                ?participant=&amp;market=&amp;since=&amp;limit=&amp;cursor=
 * GET /api/v1/events/{id}/deliveries
 * GET /api/v1/payloads/{id}                a stored document, streamed
 * </pre>
 */
public final class ReadApi {
  private static final String JSON = "application/json";
  private static final String PAYLOADS = "/api/v1/payloads/";

  private final Outages outages;
  private final Events events;
  private final PayloadDownloads documents;

  public ReadApi(Outages outages, Events events, PayloadDownloads documents) {
    this.outages = outages;
    this.events = events;
    this.documents = documents;
  }

  /** Adds the routes; the router authenticates /api/* before them. */
  public void mount(Router r) {
    r.get("/api/v1/outages").handler(this::outages);
    r.get("/api/v1/outages/:participant/:mrid").handler(this::history);
    r.get("/api/v1/market-events").handler(this::marketEvents);
    r.get("/api/v1/events/:id/deliveries").handler(this::eventDeliveries);
    r.get(PAYLOADS + ":id").handler(this::document);
  }

  private void outages(RoutingContext ctx) {
    ReadParameters.onlyKnown(ctx, ReadParameters.OUTAGE_LIST);
    var query = new Outages.Query(ParticipantFilter.of(ctx), ReadParameters.text(ctx, "status"),
        ReadParameters.text(ctx, "type"), ReadParameters.time(ctx, "changedSince"), ReadParameters.mridSearch(ctx),
        ReadParameters.outageCursor(ctx), ReadParameters.limit(ctx));
    reply(ctx, outages.list(query), page -> paged(page.outages().stream().map(ReadApi::summary).toList(),
        ReadParameters.cursorOf(page.next())));
  }

  private void history(RoutingContext ctx) {
    String participant = ctx.pathParam("participant");
    String mrid = ctx.pathParam("mrid");
    Future<Outages.History> found = ParticipantKey.isValid(participant) && mrid.length() <= ReadParameters.MRID_MAX
        ? outages.history(participant, mrid) : Future.succeededFuture(null);
    reply(ctx, found, h -> {
      if (h == null) {
        throw SubscriberProblem.notFound("participant " + participant + " has no outage " + mrid);
      }
      return history(h);
    });
  }

  private void marketEvents(RoutingContext ctx) {
    ReadParameters.onlyKnown(ctx, ReadParameters.MARKET_EVENT_LIST);
    var query = new Events.MarketQuery(ParticipantFilter.of(ctx), ReadParameters.text(ctx, "market"),
        ReadParameters.time(ctx, "since"), ReadParameters.marketEventCursor(ctx), ReadParameters.limit(ctx));
    reply(ctx, events.marketEvents(query), page -> paged(page.events().stream().map(ReadApi::market).toList(),
        ReadParameters.cursorOf(page.next())));
  }

  private void eventDeliveries(RoutingContext ctx) {
    String text = ctx.pathParam("id");
    UUID id;
    try {
      id = UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw SubscriberProblem.notFound("no event " + text);
    }
    reply(ctx, events.deliveries(id), found -> {
      if (found == null) {
        throw SubscriberProblem.notFound("no event " + id);
      }
      Events.Event e = found.event();
      return new JsonObject().put("id", e.id().toString()).put("participant", e.participant()).put("type", e.type())
          .put("subject", e.subject()).put("time", AdminJson.time(e.time())).put("outageMRID", e.outageMRID())
          .put("outageVersion", e.outageVersion()).put("market", e.market()).put("eventType", e.eventType())
          .put("createdAt", AdminJson.time(e.createdAt()))
          .put("items", new JsonArray(found.deliveries().stream().map(ReadApi::delivery).toList()));
    });
  }

  private void document(RoutingContext ctx) {
    String text = ctx.pathParam("id");
    if (!text.matches("\\d{1,18}")) {
      throw SubscriberProblem.notFound("no payload " + text);
    }
    documents.serveAuthorized(ctx, Long.parseLong(text));
  }

  private static JsonObject paged(List<JsonObject> items, String nextCursor) {
    JsonObject body = new JsonObject().put("items", new JsonArray(items));
    if (nextCursor != null) {
      body.put("nextCursor", nextCursor);
    }
    return body;
  }

  private static JsonObject summary(Outages.Summary s) {
    return new JsonObject().put("participant", s.participant()).put("mRID", s.outageMRID())
        .put("outageType", s.outageType()).put("version", s.newestVersion()).put("status", s.status())
        .put("previousStatus", s.previousStatus()).put("lastModified", AdminJson.time(s.lastModified()))
        .put("claimId", s.claimId()).put("claimState", s.claimState()).put("messageId", s.messageId())
        .put("receivedAt", AdminJson.time(s.receivedAt())).put("changedAt", AdminJson.time(s.updatedAt()))
        .put("firstSeenAt", AdminJson.time(s.createdAt())).put("document", document(s.payloadId()))
        .put("href", "/api/v1/outages/" + s.participant() + "/" + s.outageMRID());
  }

  private static JsonObject history(Outages.History h) {
    Map<UUID, JsonObject> bySubscriber = new LinkedHashMap<>();
    for (Events.Delivery d : h.deliveries()) {
      bySubscriber.computeIfAbsent(d.subscriberId(), id -> new JsonObject().put("subscriberId", id.toString())
          .put("url", d.subscriberUrl()).put("deliveries", new JsonArray()))
          .getJsonArray("deliveries").add(delivery(d));
    }
    List<JsonObject> versions = new ArrayList<>();
    for (Outages.Version v : h.versions()) {
      versions.add(new JsonObject().put("version", v.version()).put("status", v.status())
          .put("previousStatus", v.previousStatus())
          .put("statusChange", (v.previousStatus() == null ? "" : v.previousStatus()) + "→" + v.status())
          .put("lastModified", AdminJson.time(v.lastModified())).put("outageType", v.outageType())
          .put("messageId", v.messageId()).put("receivedAt", AdminJson.time(v.receivedAt())).put("action", v.action())
          .put("eventId", v.eventId() == null ? null : v.eventId().toString())
          .put("document", document(v.payloadId()))
          .put("claim", new JsonObject().put("id", v.claimId()).put("state", v.claimState())
              .put("attempts", v.attempts()).put("transientFailures", v.transientFailures())
              .put("lostFetches", v.lostFetches()).put("deadReason", v.deadReason()).put("lastError", v.lastError())
              .put("service", v.service()).put("lookup", v.lookup())
              .put("nextAttemptAt", AdminJson.time(v.nextAttemptAt())).put("createdAt", AdminJson.time(v.createdAt()))
              .put("updatedAt", AdminJson.time(v.updatedAt())).put("redeemedAt", AdminJson.time(v.redeemedAt()))));
    }
    return new JsonObject().put("participant", h.participant()).put("mRID", h.outageMRID())
        .put("outageType", h.outageType()).put("newestVersion", h.newestVersion())
        .put("firstSeenAt", AdminJson.time(h.createdAt())).put("changedAt", AdminJson.time(h.updatedAt()))
        .put("truncated", h.truncated()).put("versions", new JsonArray(versions))
        .put("subscribers", new JsonArray(new ArrayList<>(bySubscriber.values())));
  }

  private static JsonObject market(Events.Market m) {
    return new JsonObject().put("id", m.id()).put("participant", m.participant()).put("eventId", m.eventId())
        .put("eventType", m.eventType()).put("market", m.market())
        .put("tradeDate", m.tradeDate() == null ? null : m.tradeDate().toString())
        .put("eventTime", AdminJson.time(m.eventTime())).put("description", m.description())
        .put("fanoutState", m.fanoutState()).put("messageId", m.messageId())
        .put("receivedAt", AdminJson.time(m.receivedAt())).put("claimId", m.claimId())
        .put("claimState", m.claimState())
        .put("outboxEventId", m.outboxEventId() == null ? null : m.outboxEventId().toString())
        .put("deliveries", m.outboxEventId() == null ? null : "/api/v1/events/" + m.outboxEventId() + "/deliveries");
  }

  private static JsonObject delivery(Events.Delivery d) {
    return new JsonObject().put("id", d.id().toString()).put("eventId", d.eventId().toString())
        .put("outageVersion", d.outageVersion()).put("subscriberId", d.subscriberId().toString())
        .put("state", d.state()).put("attempts", d.attempts()).put("lastStatus", d.lastStatus())
        .put("lastError", d.lastError()).put("responseExcerpt", d.responseExcerpt())
        .put("nextAttemptAt", AdminJson.time(d.nextAttemptAt())).put("createdAt", AdminJson.time(d.createdAt()))
        .put("updatedAt", AdminJson.time(d.updatedAt())).put("deliveredAt", AdminJson.time(d.deliveredAt()));
  }

  /** The stored document's download under the admin API, or null before it is retrieved. */
  private static JsonObject document(Long payloadId) {
    return payloadId == null ? null : new JsonObject().put("payloadId", payloadId).put("href", PAYLOADS + payloadId);
  }

  private static <T> void reply(RoutingContext ctx, Future<T> result, Function<T, JsonObject> render) {
    result.map(render).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else {
        ctx.response().putHeader("Content-Type", JSON).end(ar.result().encode());
      }
    });
  }
}
