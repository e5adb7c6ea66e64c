package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Outages as operators read them: each one's newest state, and its history. Read only; SQL in {@link OutagesSql}. */
public final class Outages {
  /** Outages a listing reads past its cursor at most, however few its filters match. */
  public static final int SCAN_WINDOW = 10_000;
  static final int MAX_VERSIONS = 1000;
  static final int MAX_DELIVERIES = 5000;
  private static final OffsetDateTime NO_CURSOR = OffsetDateTime.MAX;

  /** Where a listing stands: its sort key, newest change first. */
  public record Key(OffsetDateTime updatedAt, String participant, String outageMRID) {}

  /** A listing's filters (null = any). {@code mridContains} is matched case-insensitively anywhere in the mRID. */
  public record Query(String participant, String status, String outageType, OffsetDateTime changedSince,
      String mridContains, Key after, int limit) {}

  /** An outage's newest state: the outage row and the claim of its newest version. */
  public record Summary(String participant, String outageMRID, String outageType, long newestVersion,
      OffsetDateTime createdAt, OffsetDateTime updatedAt, Long claimId, String status, String previousStatus,
      OffsetDateTime lastModified, String claimState, Long payloadId, String messageId, OffsetDateTime receivedAt) {}

  public record Page(List<Summary> outages, Key next) {}

  /** One version as pushed or caught up: its message, its claim, the event that published it. */
  public record Version(long claimId, long version, String status, String previousStatus,
      OffsetDateTime lastModified, String outageType, String claimState, int attempts, int transientFailures,
      int lostFetches, String deadReason, String lastError, String service, String lookup, Long payloadId,
      OffsetDateTime nextAttemptAt, OffsetDateTime createdAt, OffsetDateTime updatedAt, OffsetDateTime redeemedAt,
      String messageId, OffsetDateTime receivedAt, String action, java.util.UUID eventId) {}

  /**
   * @param truncated more versions or deliveries exist than the history shows (the newest are shown)
   */
  public record History(String participant, String outageMRID, String outageType, long newestVersion,
      OffsetDateTime createdAt, OffsetDateTime updatedAt, List<Version> versions, List<Events.Delivery> deliveries,
      boolean truncated) {}

  private final Pool pool;
  private final int window;

  public Outages(Pool pool) {
    this(pool, SCAN_WINDOW);
  }

  Outages(Pool pool, int window) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.window = window;
  }

  public Future<Page> list(Query q) {
    Key after = q.after();
    boolean one = q.participant() != null;
    OffsetDateTime since = q.changedSince() == null ? OffsetDateTime.MIN : q.changedSince();
    Tuple windowArgs = Tuple.of(since, after == null ? NO_CURSOR : after.updatedAt(),
        one ? q.participant() : after == null ? "" : after.participant(), after == null ? "" : after.outageMRID(),
        window);
    Tuple listArgs = Tuple.of(since, windowArgs.getValue(1), windowArgs.getValue(2), windowArgs.getValue(3), window,
        q.outageType(), q.mridContains() == null ? null : "%" + likeLiteral(q.mridContains()) + "%", q.status());
    return KeysetWindow.read(pool, one ? OutagesSql.LIST_OF_PARTICIPANT : OutagesSql.LIST_ALL, listArgs,
            one ? OutagesSql.WINDOW_END_OF_PARTICIPANT : OutagesSql.WINDOW_END_ALL, windowArgs, q.limit(),
            Outages::summary, s -> new Key(s.updatedAt(), s.participant(), s.outageMRID()),
            r -> new Key(r.getOffsetDateTime("updated_at"), r.getString("participant"), r.getString("outage_mrid")))
        .map(p -> new Page(p.items(), p.next()))
        .recover(e -> failed("listing outages", e));
  }

  /** Null when the participant has no such outage. */
  public Future<History> history(String participant, String outageMRID) {
    Tuple key = Tuple.of(participant, outageMRID);
    return pool.preparedQuery(OutagesSql.ONE).execute(key).compose(found -> {
      if (found.size() == 0) {
        return Future.<History>succeededFuture(null);
      }
      Row o = found.iterator().next();
      return pool.preparedQuery(OutagesSql.VERSIONS).execute(Tuple.of(participant, outageMRID, MAX_VERSIONS + 1))
          .compose(versions -> pool.preparedQuery(OutagesSql.DELIVERIES)
              .execute(Tuple.of(participant, outageMRID, MAX_DELIVERIES + 1)).map(deliveries -> {
                List<Version> vs = new ArrayList<>();
                versions.forEach(r -> vs.add(version(r)));
                List<Events.Delivery> ds = new ArrayList<>();
                deliveries.forEach(r -> ds.add(Events.delivery(r)));
                boolean truncated = vs.size() > MAX_VERSIONS || ds.size() > MAX_DELIVERIES;
                return new History(o.getString("participant"), o.getString("outage_mrid"), o.getString("outage_type"),
                    o.getLong("newest_version"), o.getOffsetDateTime("created_at"), o.getOffsetDateTime("updated_at"),
                    List.copyOf(vs.subList(0, Math.min(vs.size(), MAX_VERSIONS))),
                    List.copyOf(ds.subList(0, Math.min(ds.size(), MAX_DELIVERIES))), truncated);
              }));
    }).recover(e -> failed("reading an outage's history", e));
  }

  /** The text as a LIKE pattern that matches itself only, lower case (the listing compares lower(mRID)). */
  static String likeLiteral(String text) {
    return text.toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private static Summary summary(Row r) {
    return new Summary(r.getString("participant"), r.getString("outage_mrid"), r.getString("outage_type"),
        r.getLong("newest_version"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"),
        r.getLong("claim_id"), r.getString("status"), r.getString("previous_status"),
        r.getOffsetDateTime("last_modified"), r.getString("claim_state"), r.getLong("payload_id"),
        r.getString("message_id"), r.getOffsetDateTime("received_at"));
  }

  private static Version version(Row r) {
    return new Version(r.getLong("id"), r.getLong("version"), r.getString("status"), r.getString("previous_status"),
        r.getOffsetDateTime("last_modified"), r.getString("outage_type"), r.getString("state"),
        r.getInteger("attempts"), r.getInteger("transient_failures"), r.getInteger("lost_fetches"),
        r.getString("dead_reason"), r.getString("last_error"), r.getString("service"), r.getString("lookup"),
        r.getLong("payload_id"), r.getOffsetDateTime("next_attempt_at"), r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"), r.getOffsetDateTime("redeemed_at"), r.getString("message_id"),
        r.getOffsetDateTime("received_at"), r.getString("action"), r.getUUID("event_id"));
  }

  private static <T> Future<T> failed(String what, Throwable e) {
    return Future.failedFuture(StoreFailures.translate(what, e));
  }
}
