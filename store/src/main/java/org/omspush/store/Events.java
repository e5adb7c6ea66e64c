package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** Market events and the deliveries of an event, as operators read them. Read only; SQL in {@link EventsSql}. */
public final class Events {
  private static final OffsetDateTime NO_CURSOR = OffsetDateTime.MAX;

  /** A delivery of an event to a subscriber; {@code responseExcerpt} the start of its last answer. */
  public record Delivery(UUID id, UUID eventId, Long outageVersion, UUID subscriberId, String subscriberUrl,
      String state, int attempts, Integer lastStatus, String lastError, String responseExcerpt,
      OffsetDateTime nextAttemptAt, OffsetDateTime createdAt, OffsetDateTime updatedAt, OffsetDateTime deliveredAt) {}

  /** An event of the outbox. */
  public record Event(UUID id, String participant, String type, String subject, OffsetDateTime time,
      String outageMRID, Long outageVersion, String market, String eventType, OffsetDateTime createdAt) {}

  /** A market event as pushed, with its message, its claim (when it carried a claim check) and its outbox event. */
  public record Market(long id, String participant, String eventId, String eventType, String market,
      LocalDate tradeDate, OffsetDateTime eventTime, String description, String fanoutState,
      OffsetDateTime createdAt, String messageId, OffsetDateTime receivedAt, Long claimId, String claimState,
      UUID outboxEventId) {}

  /** Where a market-event listing stands: newest arrival first. */
  public record Key(OffsetDateTime createdAt, long id) {}

  /** Filters null = any; {@code since}: arrived at or after. */
  public record MarketQuery(String participant, String market, OffsetDateTime since, Key after, int limit) {}

  public record MarketPage(List<Market> events, Key next) {}

  public record EventDeliveries(Event event, List<Delivery> deliveries) {}

  private final Pool pool;
  private final int window;

  public Events(Pool pool) {
    this(pool, Outages.SCAN_WINDOW);
  }

  Events(Pool pool, int window) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.window = window;
  }

  public Future<MarketPage> marketEvents(MarketQuery q) {
    Key after = q.after();
    OffsetDateTime since = q.since() == null ? OffsetDateTime.MIN : q.since();
    Tuple windowArgs = Tuple.of(since, after == null ? NO_CURSOR : after.createdAt(),
        after == null ? Long.MAX_VALUE : after.id(), window);
    Tuple listArgs = Tuple.of(since, windowArgs.getValue(1), windowArgs.getValue(2), window, q.participant(),
        q.market());
    return KeysetWindow.read(pool, EventsSql.MARKET_EVENTS, listArgs, EventsSql.MARKET_WINDOW_END, windowArgs,
            q.limit(), Events::market, m -> new Key(m.createdAt(), m.id()),
            r -> new Key(r.getOffsetDateTime("created_at"), r.getLong("id")))
        .map(p -> new MarketPage(p.items(), p.next()))
        .recover(e -> failed("listing market events", e));
  }

  /** Null when there is no such event. */
  public Future<EventDeliveries> deliveries(UUID eventId) {
    return pool.preparedQuery(EventsSql.EVENT).execute(Tuple.of(eventId)).compose(found -> {
      if (found.size() == 0) {
        return Future.<EventDeliveries>succeededFuture(null);
      }
      Row e = found.iterator().next();
      Event event = new Event(e.getUUID("id"), e.getString("participant"), e.getString("type"),
          e.getString("subject"), e.getOffsetDateTime("time"), e.getString("outage_mrid"), e.getLong("outage_version"),
          e.getString("market"), e.getString("event_type"), e.getOffsetDateTime("created_at"));
      return pool.preparedQuery(EventsSql.EVENT_DELIVERIES).execute(Tuple.of(eventId)).map(rows -> {
        List<Delivery> out = new ArrayList<>();
        rows.forEach(r -> out.add(delivery(r)));
        return new EventDeliveries(event, List.copyOf(out));
      });
    }).recover(e -> failed("reading an event's deliveries", e));
  }

  static Delivery delivery(Row r) {
    return new Delivery(r.getUUID("id"), r.getUUID("event_id"), r.getLong("outage_version"),
        r.getUUID("subscriber_id"), r.getString("subscriber_url"), r.getString("state"), r.getInteger("attempts"),
        r.getInteger("last_status"), r.getString("last_error"), r.getString("response_excerpt"),
        r.getOffsetDateTime("next_attempt_at"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"),
        r.getOffsetDateTime("delivered_at"));
  }

  private static Market market(Row r) {
    return new Market(r.getLong("id"), r.getString("participant"), r.getString("event_id"),
        r.getString("event_type"), r.getString("market"), r.getLocalDate("trade_date"),
        r.getOffsetDateTime("event_time"), r.getString("description"), r.getString("fanout_state"),
        r.getOffsetDateTime("created_at"), r.getString("message_id"), r.getOffsetDateTime("received_at"),
        r.getLong("claim_id"), r.getString("claim_state"), r.getUUID("outbox_event_id"));
  }

  private static <T> Future<T> failed(String what, Throwable e) {
    return Future.failedFuture(StoreFailures.translate(what, e));
  }
}
