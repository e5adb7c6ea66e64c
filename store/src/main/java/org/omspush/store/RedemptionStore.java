package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Claims, leases and the AUP gate for the redemption worker. Every statement is short and
 * never spans an HTTP call. The SQL is in {@link RedemptionSql}.
 */
public final class RedemptionStore {

  /**
   * The gate was taken (call now; {@code takenUntil} is the next_allowed_at this take set), or
   * how long to wait, or the service is refused (403), or the claim it was taken for is no longer
   * the worker's ({@code claimLost}: superseded or its lease lost; nothing to send).
   * {@code issuedNanos} is System.nanoTime() when the statement was sent: no later than the
   * take's time on the database clock, so time measured from it never understates the time
   * since the take.
   */
  public record Gate(boolean taken, Duration waitFor, boolean refused, String refusedReason, boolean claimLost,
      OffsetDateTime takenUntil, long issuedNanos) {}

  /** What a completion did: claims redeemed (0 when the lease was lost) and whether an event was published. */
  public record Completion(int redeemed, boolean published) {}

  /**
   * After a retry: the claim's state (PENDING, or DEAD), attempts so far, and why it is DEAD
   * ({@code attempts}, {@code gave_up}, {@code receiver_lost}; null while PENDING).
   */
  public record Retry(String state, int attempts, String deadReason) {}

  /** How a failed call counts (see {@link RedemptionSql#RETRY}). */
  public enum Failure {
    /** Counts toward the attempt limit. */
    DEFINITIVE,
    /** Counts only as a transient failure: DEAD only once the claim is older than the give-up time. */
    TRANSIENT,
    /** Counts nothing (the service is refused until an operator clears it). */
    WAIT
  }

  private final Pool pool;

  public RedemptionStore(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /**
   * The next due claim, leased; or, when its previous fetches ended with the lease lost
   * {@code maxLost} times, the claim now DEAD (state {@code DEAD}, not leased).
   */
  public Future<Optional<ClaimToRedeem>> leaseNext(String service, String owner, Duration lease, int maxLost) {
    return pool.preparedQuery(RedemptionSql.LEASE_NEXT)
        .execute(Tuple.of(service, owner, seconds(lease), maxLost))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.<ClaimToRedeem>empty();
          }
          Row r = rows.iterator().next();
          return Optional.of(new ClaimToRedeem(r.getLong("id"), r.getString("kind"), r.getString("outage_mrid"),
              r.getString("outage_type"), r.getLong("version"), r.getString("status"), r.getString("previous_status"),
              r.getOffsetDateTime("last_modified"), r.getString("token"), r.getString("lookup"),
              r.getString("service"), r.getInteger("attempts"), r.getString("event_id"),
              Boolean.TRUE.equals(r.getBoolean("token_expired")), r.getLong("other_newest_version"),
              r.getString("state"), r.getInteger("transient_failures"), r.getInteger("lost_fetches"),
              Boolean.TRUE.equals(r.getBoolean("lost"))));
        })
        .recover(e -> failed("leasing a claim", e));
  }

  /** False when the lease is no longer ours (it ran out and another worker took the claim). */
  public Future<Boolean> renewLease(long claimId, String owner, Duration lease) {
    return pool.preparedQuery(RedemptionSql.RENEW_LEASE).execute(Tuple.of(claimId, owner, seconds(lease)))
        .map(rows -> rows.size() == 1)
        .recover(e -> failed("renewing a lease", e));
  }

  /**
   * Gives the claim back after a failed call. @param delay null keeps its place in the queue
   * @param giveUpAfter a transient failure makes a claim older than this DEAD
   */
  public Future<Retry> retryLater(long claimId, String owner, Duration delay, String error, Failure failure,
      int maxAttempts, Duration giveUpAfter) {
    return pool.preparedQuery(RedemptionSql.RETRY)
        .execute(Tuple.of(claimId, owner, delay == null ? null : seconds(delay), error, failure.name(), maxAttempts,
            seconds(giveUpAfter)))
        .map(RedemptionStore::retryOf)
        .recover(e -> failed("scheduling a retry", e));
  }

  /** Gives back the leases of a stopping worker (no attempt counted). @return how many */
  public Future<Integer> release(String owner) {
    return pool.preparedQuery(RedemptionSql.RELEASE).execute(Tuple.of(owner))
        .map(RowSet::size).recover(e -> failed("giving back leases", e));
  }

  public Future<Void> useKeyLookup(long claimId, String owner, String reason) {
    return pool.preparedQuery(RedemptionSql.USE_KEY_LOOKUP).execute(Tuple.of(claimId, owner, reason))
        .<Void>mapEmpty().recover(e -> failed("switching a claim to lookup by key", e));
  }

  public Future<Gate> takeGate(String identity, String service, Duration interval) {
    return takeGate(identity, service, interval, null, null);
  }

  /** Takes the gate for a call about this claim; not taken when the claim is no longer ours. */
  public Future<Gate> takeGate(String identity, String service, Duration interval, Long claimId, String owner) {
    long issued = System.nanoTime();
    return pool.preparedQuery(RedemptionSql.TAKE_GATE)
        .execute(Tuple.of(identity, service, seconds(interval), claimId, owner))
        .compose(rows -> {
          if (rows.size() == 1) {
            return Future.succeededFuture(new Gate(true, Duration.ZERO, false, null, false,
                rows.iterator().next().getOffsetDateTime("next_allowed_at"), issued));
          }
          return pool.preparedQuery(RedemptionSql.GATE_STATE).execute(Tuple.of(identity, service, claimId, owner))
              .map(state -> {
                Row r = state.iterator().next();
                if (!Boolean.TRUE.equals(r.getBoolean("ours"))) {
                  return new Gate(false, Duration.ZERO, false, null, true, null, issued);
                }
                Double seconds = r.getDouble("wait_seconds");
                // No row yet and not inserted: a concurrent first take; look again shortly.
                Duration wait = seconds == null ? Duration.ofMillis(50)
                    : Duration.ofNanos((long) (seconds * 1_000_000_000L));
                return new Gate(false, wait, Boolean.TRUE.equals(r.getBoolean("refused")),
                    r.getString("refused_reason"), false, null, issued);
              });
        })
        .recover(e -> failed("taking the AUP gate", e));
  }

  /** After a call's failure (no answer): no next call before now plus the AUP interval; never earlier. */
  public Future<Void> callAnswered(String identity, String service, Duration aupInterval) {
    return callAnswered(identity, service, aupInterval, null);
  }

  /**
   * After an answer to the call whose take set {@code takenUntil}: the next call at now plus the
   * AUP interval (earlier or later than the take's spacing) unless the gate moved since the take;
   * with {@code takenUntil} null, never earlier.
   */
  public Future<Void> callAnswered(String identity, String service, Duration aupInterval, OffsetDateTime takenUntil) {
    return pool.preparedQuery(RedemptionSql.CALL_ANSWERED)
        .execute(Tuple.of(identity, service, seconds(aupInterval), takenUntil))
        .<Void>mapEmpty().recover(e -> failed("moving the AUP gate after an answer", e));
  }

  /** A take that sent nothing gives the slot back; false when the gate moved since (then it stays). */
  public Future<Boolean> releaseGate(String identity, String service, OffsetDateTime takenUntil, Duration interval) {
    return pool.preparedQuery(RedemptionSql.RELEASE_GATE)
        .execute(Tuple.of(identity, service, takenUntil, seconds(interval)))
        .map(rows -> rows.size() == 1).recover(e -> failed("giving an AUP slot back", e));
  }

  /** Gives a claim back without a counted attempt; it keeps its place in the queue. */
  public Future<Retry> giveBack(long claimId, String owner) {
    return pool.preparedQuery(RedemptionSql.GIVE_BACK).execute(Tuple.of(claimId, owner))
        .map(RedemptionStore::retryOf)
        .recover(e -> failed("giving a claim back", e));
  }

  /** The claim's state and attempts after an update that names its lease owner; LOST when it was no longer ours. */
  private static Retry retryOf(RowSet<Row> rows) {
    if (rows.size() == 0) {
      return new Retry("LOST", 0, null);
    }
    Row r = rows.iterator().next();
    return new Retry(r.getString("state"), r.getInteger("attempts"), r.getString("dead_reason"));
  }

  /**
   * The newest version known of each of these outages (absent: unknown), of the participant
   * {@value ParticipantKey#DEFAULT}, the one catch-up runs for today.
   */
  public Future<Map<String, Long>> newestVersions(java.util.Collection<String> outageMrids) {
    return pool.preparedQuery(RedemptionSql.NEWEST_VERSIONS)
        .execute(Tuple.of(outageMrids.toArray(new String[0]), ParticipantKey.DEFAULT))
        .map(rows -> {
          Map<String, Long> out = new java.util.HashMap<>();
          for (Row r : rows) {
            out.put(r.getString("outage_mrid"), r.getLong("newest_version"));
          }
          return out;
        })
        .recover(e -> failed("reading known outage versions", e));
  }

  public Future<Void> aupPageSeen(String identity, String service, Duration interval) {
    return pool.preparedQuery(RedemptionSql.AUP_PAGE_SEEN).execute(Tuple.of(identity, service, seconds(interval)))
        .<Void>mapEmpty().recover(e -> failed("moving the AUP gate", e));
  }

  /** Records what the last call of this gate came back with, for operators. */
  public Future<Void> recordOutcome(String identity, String service, String outcome) {
    return pool.preparedQuery(RedemptionSql.RECORD_OUTCOME).execute(Tuple.of(identity, service, outcome))
        .<Void>mapEmpty().recover(e -> failed("recording a call's outcome", e));
  }

  /** PENDING claims of services not in {@code served} become UNSERVICEABLE. @return how many per service */
  public Future<Map<String, Integer>> setAsideUnserviceable(java.util.Collection<String> served) {
    return byService(RedemptionSql.SET_UNSERVICEABLE, served, "setting claims aside as unserviceable");
  }

  /** UNSERVICEABLE claims of services in {@code served} become PENDING again. @return how many per service */
  public Future<Map<String, Integer>> reviveServiceable(java.util.Collection<String> served) {
    return byService(RedemptionSql.REVIVE_SERVICEABLE, served, "reviving serviceable claims");
  }

  private Future<Map<String, Integer>> byService(String sql, java.util.Collection<String> served, String what) {
    return pool.preparedQuery(sql).execute(Tuple.of(served.toArray(new String[0]))).map(rows -> {
      Map<String, Integer> out = new java.util.TreeMap<>();
      rows.forEach(r -> out.merge(r.getString("service"), 1, Integer::sum));
      return out;
    }).recover(e -> failed(what, e));
  }

  public Future<Void> refuseService(String identity, String service, String reason) {
    return pool.preparedQuery(RedemptionSql.REFUSE_SERVICE).execute(Tuple.of(identity, service, reason))
        .<Void>mapEmpty().recover(e -> failed("marking a service refused", e));
  }

  /**
   * Completes a retrieved document's payload (its chunks already written), redeems the claims it
   * covers and publishes the event, in one transaction. Nothing is changed when the lease was lost
   * (redeemed 0): the caller then discards the payload.
   */
  public Future<Completion> complete(ClaimToRedeem claim, String owner, RetrievedDocument doc) {
    return pool.withTransaction(conn -> conn.preparedQuery(RedemptionSql.LOCK_FOR_COMPLETION)
        .execute(Tuple.of(claim.id(), owner, claim.outageMRID()))
        .compose(lock -> {
          Row r = lock.size() == 0 ? null : lock.iterator().next();
          if (r == null || !Boolean.TRUE.equals(r.getBoolean("ours"))) {
            return Future.succeededFuture(new Completion(0, false));
          }
          Tuple t;
          String sql;
          if (claim.isOutage()) {
            sql = RedemptionSql.COMPLETE_OUTAGE;
            t = Tuple.tuple().addValue(claim.id()).addValue(doc.outageMRID()).addValue(doc.version())
                .addValue(doc.outageType()).addValue(doc.status()).addValue(doc.lastModified())
                .addValue(doc.payloadId()).addValue(doc.size()).addValue(doc.sha256());
          } else {
            sql = RedemptionSql.COMPLETE_MARKET_EVENT;
            t = Tuple.of(claim.id(), doc.payloadId(), doc.size(), doc.sha256());
          }
          return conn.preparedQuery(sql).execute(t).map(rows -> {
            Row done = rows.iterator().next();
            return new Completion(done.getLong("redeemed").intValue(), done.getValue("event_id") != null);
          });
        }))
        .recover(e -> failed("storing a retrieved document", e));
  }

  /**
   * Deletes a fetched payload that no claim took (the document did not answer the claim, or the
   * lease was lost before it was stored); never one that something refers to.
   */
  public Future<Void> discardPayload(long payloadId) {
    return pool.preparedQuery(PayloadSql.DISCARD).execute(Tuple.of(payloadId)).<Void>mapEmpty()
        .recover(e -> failed("deleting an unused payload", e));
  }

  /** Where catch-up left off: since, or null when it never ran (then the newest change known). */
  public Future<OffsetDateTime> catchUpSince(String identity, String service) {
    return pool.preparedQuery(RedemptionSql.READ_CURSOR).execute(Tuple.of(identity, service))
        .compose(rows -> {
          if (rows.size() == 1 && rows.iterator().next().getOffsetDateTime("since") != null) {
            return Future.succeededFuture(rows.iterator().next().getOffsetDateTime("since"));
          }
          return pool.query(RedemptionSql.NEWEST_KNOWN_CHANGE).execute()
              .map(known -> known.iterator().next().getOffsetDateTime("newest"));
        })
        .recover(e -> failed("reading the catch-up cursor", e));
  }

  public Future<Void> saveCatchUp(String identity, String service, OffsetDateTime since, String cursor) {
    return pool.preparedQuery(RedemptionSql.WRITE_CURSOR).execute(Tuple.of(identity, service, since, cursor))
        .<Void>mapEmpty().recover(e -> failed("saving the catch-up cursor", e));
  }

  public Future<Map<String, Long>> claimsByState() {
    return pool.query(RedemptionSql.CLAIMS_BY_STATE).execute().map(rows -> {
      Map<String, Long> out = new LinkedHashMap<>();
      for (Row r : rows) {
        out.put(r.getString("state"), r.getLong("n"));
      }
      return out;
    }).recover(e -> failed("counting claims", e));
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static <T> Future<T> failed(String what, Throwable e) {
    return Future.failedFuture(StoreFailures.translate(what, e));
  }
}
