package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Claims and AUP gates for operators: listing, retrying, clearing a refused gate. SQL in {@link ClaimsSql}. */
public final class Claims {

  /** A claim as operators see it (the token is left out). */
  public record Claim(long id, String participant, String kind, String outageMRID, String outageType, Long version, String status,
      String previousStatus, OffsetDateTime lastModified, Long marketEventId, String eventId, String service,
      OffsetDateTime expiresAt, String lookup, Long payloadId, String state, String deadReason, int attempts,
      int transientFailures,
      int lostFetches, String lastError, OffsetDateTime nextAttemptAt, OffsetDateTime fetchStartedAt,
      OffsetDateTime createdAt, OffsetDateTime updatedAt, OffsetDateTime redeemedAt, OffsetDateTime retriedAt) {}

  /** A page of claims; {@code nextAfter} the id to continue below, or null on the last page. */
  public record Page(List<Claim> claims, Long nextAfter) {}

  /** The outcome of a retry of one claim: unknown, retried, or not retryable in its state. */
  public record Retried(boolean found, boolean retried, String previousState) {}

  /** The claims retried in bulk, and whether more of that state are left. */
  public record BulkRetry(int retried, boolean more) {}

  /** One AUP gate row (database clock). */
  public record Gate(String identity, String service, OffsetDateTime nextAllowedAt, double opensInSeconds,
      OffsetDateTime lastTakenAt, String lastOutcome, OffsetDateTime lastOutcomeAt, long calls, long aupPages,
      OffsetDateTime refusedAt, String refusedReason) {}

  private final Pool pool;

  public Claims(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /**
   * Newest first. @param participant, state, service null = any @param after the previous page's
   * nextAfter, or null
   */
  public Future<Page> list(String participant, String state, String service, Long after, int limit) {
    return pool.preparedQuery(ClaimsSql.LIST).execute(Tuple.of(state, service, after, limit + 1, participant))
        .map(rows -> {
          List<Claim> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(claim(r));
          }
          Long next = null;
          if (out.size() > limit) {
            out = out.subList(0, limit);
            next = out.get(limit - 1).id();
          }
          return new Page(List.copyOf(out), next);
        }).recover(e -> failed("listing claims", e));
  }

  /** A DEAD or UNSERVICEABLE claim back to PENDING, in its place in the queue. */
  public Future<Retried> retry(long id) {
    return pool.preparedQuery(ClaimsSql.RETRY_ONE).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        return new Retried(false, false, null);
      }
      Row r = rows.iterator().next();
      return new Retried(true, Boolean.TRUE.equals(r.getBoolean("retried")), r.getString("previous_state"));
    }).recover(e -> failed("retrying a claim", e));
  }

  /** Up to {@code limit} claims of this state (DEAD or UNSERVICEABLE), oldest first, back to PENDING. */
  public Future<BulkRetry> retryAll(String state, String service, int limit) {
    return pool.preparedQuery(ClaimsSql.RETRY_MANY).execute(Tuple.of(state, service, limit))
        .compose(rows -> pool.preparedQuery(ClaimsSql.ANY_LEFT).execute(Tuple.of(state, service))
            .map(left -> new BulkRetry(rows.size(), Boolean.TRUE.equals(left.iterator().next().getBoolean("more")))))
        .recover(e -> failed("retrying claims", e));
  }

  public Future<List<Gate>> gates() {
    return pool.query(ClaimsSql.GATES).execute().map(rows -> {
      List<Gate> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(new Gate(r.getString("identity"), r.getString("service"), r.getOffsetDateTime("next_allowed_at"),
            r.getDouble("opens_in_seconds"), r.getOffsetDateTime("last_taken_at"), r.getString("last_outcome"),
            r.getOffsetDateTime("last_outcome_at"), r.getLong("calls"), r.getLong("aup_pages"),
            r.getOffsetDateTime("refused_at"), r.getString("refused_reason")));
      }
      return out;
    }).recover(e -> failed("reading the AUP gates", e));
  }

  /** False when there is no such gate. */
  public Future<Boolean> clearGate(String identity, String service) {
    return pool.preparedQuery(ClaimsSql.CLEAR_GATE).execute(Tuple.of(identity, service)).map(rows -> rows.size() == 1)
        .recover(e -> failed("clearing an AUP gate", e));
  }

  private static Claim claim(Row r) {
    return new Claim(r.getLong("id"), r.getString("participant"), r.getString("kind"), r.getString("outage_mrid"), r.getString("outage_type"),
        r.getLong("version"), r.getString("status"), r.getString("previous_status"),
        r.getOffsetDateTime("last_modified"), r.getLong("market_event_id"), r.getString("event_id"),
        r.getString("service"), r.getOffsetDateTime("expires_at"), r.getString("lookup"), r.getLong("payload_id"),
        r.getString("state"), r.getString("dead_reason"), r.getInteger("attempts"), r.getInteger("transient_failures"),
        r.getInteger("lost_fetches"), r.getString("last_error"), r.getOffsetDateTime("next_attempt_at"),
        r.getOffsetDateTime("fetch_started_at"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"),
        r.getOffsetDateTime("redeemed_at"), r.getOffsetDateTime("retried_at"));
  }

  private static <T> Future<T> failed(String what, Throwable e) {
    return Future.failedFuture(StoreFailures.translate(what, e));
  }
}
