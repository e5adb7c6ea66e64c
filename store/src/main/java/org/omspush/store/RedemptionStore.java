package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
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
   * One queue the scheduler may take from: a participant's claims of one service, redeemed with
   * the certificate whose gate key is {@code identity}.
   */
  public record Lane(String participant, String identity, String service) {}

  /** A claim the scheduler leased, with the participant it belongs to and the gate key it was chosen under. */
  public record Leased(ClaimToRedeem claim, String participant, String identity) {}

  /** PENDING claims of a participant and the age of the oldest, in seconds. */
  public record Waiting(long claims, double oldestSeconds) {}

  /**
   * Of all these lanes, the earliest due claim whose gate is open, leased; or, when its
   * previous fetches ended with the lease lost {@code maxLost} times, the claim now DEAD (state
   * {@code DEAD}, not leased). Empty when none is.
   */
  public Future<Optional<Leased>> leaseNextAny(java.util.Collection<Lane> lanes, String owner, Duration lease,
      int maxLost) {
    if (lanes.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    Tuple t = lanesTuple(lanes).addValue(owner).addValue(seconds(lease)).addValue(maxLost);
    return pool.preparedQuery(RedemptionSql.LEASE_NEXT_ANY).execute(t)
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.<Leased>empty();
          }
          Row r = rows.iterator().next();
          return Optional.of(new Leased(claimOf(r), r.getString("participant"), r.getString("identity")));
        })
        .recover(e -> failed("leasing a claim", e));
  }

  /**
   * How long until one of these lanes next has a claim due under an open gate, or a lease held
   * elsewhere runs out; empty when they hold no pending claim. Zero or less: now.
   */
  public Future<Optional<Duration>> nextDue(java.util.Collection<Lane> lanes) {
    if (lanes.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    return pool.preparedQuery(RedemptionSql.NEXT_DUE).execute(lanesTuple(lanes)).map(rows -> {
      Double seconds = rows.size() == 0 ? null : rows.iterator().next().getDouble("wait_seconds");
      return seconds == null ? Optional.<Duration>empty()
          : Optional.of(Duration.ofNanos((long) (seconds * 1_000_000_000L)));
    }).recover(e -> failed("finding the next due claim", e));
  }

  /** PENDING claims by participant (only participants that have some). */
  public Future<Map<String, Waiting>> pendingByParticipant() {
    return pool.query(RedemptionSql.PENDING_BY_PARTICIPANT).execute().map(rows -> {
      Map<String, Waiting> out = new java.util.TreeMap<>();
      for (Row r : rows) {
        out.put(r.getString("participant"), new Waiting(r.getLong("waiting"), r.getDouble("oldest_seconds")));
      }
      return out;
    }).recover(e -> failed("counting pending claims by participant", e));
  }

  private static Tuple lanesTuple(java.util.Collection<Lane> lanes) {
    String[] participants = new String[lanes.size()];
    String[] identities = new String[lanes.size()];
    String[] services = new String[lanes.size()];
    int i = 0;
    for (Lane l : lanes) {
      participants[i] = l.participant();
      identities[i] = l.identity();
      services[i++] = l.service();
    }
    return Tuple.tuple().addArrayOfString(participants).addArrayOfString(identities).addArrayOfString(services);
  }

  private static ClaimToRedeem claimOf(Row r) {
    return new ClaimToRedeem(r.getLong("id"), r.getString("kind"), r.getString("outage_mrid"),
        r.getString("outage_type"), r.getLong("version"), r.getString("status"), r.getString("previous_status"),
        r.getOffsetDateTime("last_modified"), r.getString("token"), r.getString("lookup"),
        r.getString("service"), r.getInteger("attempts"), r.getString("event_id"),
        Boolean.TRUE.equals(r.getBoolean("token_expired")), r.getLong("other_newest_version"),
        r.getString("state"), r.getInteger("transient_failures"), r.getInteger("lost_fetches"),
        Boolean.TRUE.equals(r.getBoolean("lost")));
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

  /** The newest version known of each of these outages of {@value ParticipantKey#DEFAULT} (absent: unknown). */
  public Future<Map<String, Long>> newestVersions(java.util.Collection<String> outageMrids) {
    return newestVersions(ParticipantKey.DEFAULT, outageMrids);
  }

  /** The newest version known of each of these outages of the participant (absent: unknown). */
  public Future<Map<String, Long>> newestVersions(String participant, java.util.Collection<String> outageMrids) {
    return pool.preparedQuery(RedemptionSql.NEWEST_VERSIONS)
        .execute(Tuple.of(outageMrids.toArray(new String[0]), participant))
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

  /** PENDING claims of {@value ParticipantKey#DEFAULT} of services not in {@code served} become UNSERVICEABLE. */
  public Future<Map<String, Integer>> setAsideUnserviceable(java.util.Collection<String> served) {
    return setAsideUnserviceable(defaultLanes(served), List.of(ParticipantKey.DEFAULT));
  }

  /** UNSERVICEABLE claims of {@value ParticipantKey#DEFAULT} of services in {@code served} become PENDING again. */
  public Future<Map<String, Integer>> reviveServiceable(java.util.Collection<String> served) {
    return reviveServiceableLanes(defaultLanes(served));
  }

  /**
   * PENDING claims of the participants {@code known} in no lane of {@code served} become
   * UNSERVICEABLE. @return how many per service
   */
  public Future<Map<String, Integer>> setAsideUnserviceable(java.util.Collection<Lane> served,
      java.util.Collection<String> known) {
    Tuple t = pairs(served).addArrayOfString(known.toArray(new String[0]));
    return byService(RedemptionSql.SET_UNSERVICEABLE, t, "setting claims aside as unserviceable");
  }

  /** UNSERVICEABLE claims in a lane of {@code served} become PENDING again. @return how many per service */
  public Future<Map<String, Integer>> reviveServiceableLanes(java.util.Collection<Lane> served) {
    return byService(RedemptionSql.REVIVE_SERVICEABLE, pairs(served), "reviving serviceable claims");
  }

  private static List<Lane> defaultLanes(java.util.Collection<String> services) {
    return services.stream().map(s -> new Lane(ParticipantKey.DEFAULT, null, s)).toList();
  }

  private static Tuple pairs(java.util.Collection<Lane> lanes) {
    return Tuple.tuple().addArrayOfString(lanes.stream().map(Lane::participant).toArray(String[]::new))
        .addArrayOfString(lanes.stream().map(Lane::service).toArray(String[]::new));
  }

  private Future<Map<String, Integer>> byService(String sql, Tuple params, String what) {
    return pool.preparedQuery(sql).execute(params).map(rows -> {
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

  /**
   * Where a participant's catch-up left off (its cursor row is {@code identity}): since, or when it
   * never ran the newest change known of the participant's claims, or null.
   */
  public Future<OffsetDateTime> catchUpSince(String identity, String service, String participant) {
    return pool.preparedQuery(RedemptionSql.READ_CURSOR).execute(Tuple.of(identity, service))
        .compose(rows -> {
          if (rows.size() == 1 && rows.iterator().next().getOffsetDateTime("since") != null) {
            return Future.succeededFuture(rows.iterator().next().getOffsetDateTime("since"));
          }
          return pool.preparedQuery(RedemptionSql.NEWEST_KNOWN_CHANGE).execute(Tuple.of(participant))
              .map(known -> known.iterator().next().getOffsetDateTime("newest"));
        })
        .recover(e -> failed("reading the catch-up cursor", e));
  }

  /** How long ago any replica last wrote this catch-up cursor; empty when never. */
  public Future<Optional<Duration>> catchUpAge(String identity, String service) {
    return pool.preparedQuery(RedemptionSql.CURSOR_WRITTEN).execute(Tuple.of(identity, service)).map(rows -> {
      Double s = rows.size() == 0 ? null : rows.iterator().next().getDouble("age_seconds");
      return s == null ? Optional.<Duration>empty() : Optional.of(Duration.ofMillis((long) (s * 1000)));
    }).recover(e -> failed("reading the catch-up cursor", e));
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
