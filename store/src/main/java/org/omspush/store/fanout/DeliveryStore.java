package org.omspush.store.fanout;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.omspush.store.secrets.SealedColumn;
import org.omspush.store.secrets.SealedSecretException;
import org.omspush.store.secrets.SealedValue;
import org.omspush.store.secrets.SecretKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery queue: claiming due deliveries under a lease, recording answers, replaying dead
 * letters. Every method returns at once; the SQL and
 * how claims stay correct across replicas are in {@link FanoutSql}.
 */
public final class DeliveryStore {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final Logger log = LoggerFactory.getLogger(DeliveryStore.class);

  private final Pool pool;
  private final SecretKeys keys;
  private final Set<UUID> reportedUnreadable = ConcurrentHashMap.newKeySet();

  /** @param keys open the subscribers' secrets and client keys, seal and open the shared keys */
  public DeliveryStore(Pool pool, SecretKeys keys) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  /**
   * One claim, in one short transaction: lock subscribers with due work (skipping those
   * another replica is claiming for), skip superseded outage versions, lease due deliveries
   * within each subscriber's free slots. Committed before the future completes.
   */
  public Future<ClaimedWork> claim(ClaimOptions o) {
    return pool.withTransaction(conn -> conn.preparedQuery(FanoutSql.LOCK_SUBSCRIBERS)
        .execute(Tuple.of(o.subscribers()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(ClaimedWork.NONE);
          }
          Set<UUID> paused = new HashSet<>();
          for (Row r : rows) {
            if (r.getBoolean("paused")) {
              paused.add(r.getUUID("id"));
            }
          }
          return SubscriberStore.withSecrets(conn, rows, keys, this::unreadable).compose(subscribers -> {
            Map<UUID, Subscriber> byId = new LinkedHashMap<>();
            subscribers.forEach(s -> byId.put(s.id(), s));
            UUID[] ids = byId.keySet().toArray(UUID[]::new);
            return conn.preparedQuery(FanoutSql.SKIP_SUPERSEDED).execute(Tuple.of(ids))
                .compose(skipped -> conn.preparedQuery(FanoutSql.CLAIM).execute(Tuple.tuple()
                        .addValue(ids)
                        .addValue(o.owner())
                        .addValue(o.leaseMillis())
                        .addValue(o.openBreakerBatch())
                        .addValue(o.breakerThreshold())
                        .addValue(o.limit())
                        .addValue(o.inlinePayloadMax()))
                    .map(claimed -> {
                      List<DueDelivery> due = new ArrayList<>(claimed.size());
                      claimed.forEach(r -> due.add(Rows.due(r)));
                      return new ClaimedWork(due, byId, paused, skipped.rowCount());
                    }));
          });
        }));
  }

  /**
   * 2xx answers of this owner's leases, in one statement.
   *
   * @return the ids recorded DELIVERED; one missing had lost its lease (nothing changed for it)
   */
  public Future<Set<UUID>> delivered(List<SuccessfulAttempt> answers, String owner) {
    UUID[] ids = new UUID[answers.size()];
    Integer[] attempts = new Integer[answers.size()];
    Integer[] statuses = new Integer[answers.size()];
    for (int i = 0; i < ids.length; i++) {
      SuccessfulAttempt a = answers.get(i);
      ids[i] = a.deliveryId();
      attempts[i] = a.attempt();
      statuses[i] = a.status();
    }
    return pool.preparedQuery(FanoutSql.DELIVERED)
        .execute(Tuple.of(ids, attempts, statuses, owner))
        .map(rows -> {
          Set<UUID> done = new HashSet<>();
          rows.forEach(r -> done.add(r.getUUID("id")));
          return done;
        });
  }

  /** Any other outcome. @return false when the lease was lost meanwhile (nothing changed) */
  public Future<Boolean> failed(FailedAttempt f, Breaker breaker) {
    Tuple t = Tuple.tuple()
        .addValue(f.deliveryId())
        .addValue(f.owner())
        .addValue(f.attempt())
        .addValue(f.dead())
        .addValue(f.delayMillis())
        .addValue(f.status())
        .addValue(f.error())
        .addValue(f.response())
        .addValue(f.countsAgainstSubscriber())
        .addValue(breaker.threshold())
        .addValue(breaker.pauseMillis())
        .addValue(breaker.maxPauseMillis())
        .addValue(f.disableReason());
    return pool.preparedQuery(FanoutSql.FAILED).execute(t).map(rows -> rows.iterator().next().getLong("updated") > 0);
  }

  /** Gives back the leases of a stopping worker. @return how many */
  public Future<Integer> release(String owner) {
    return pool.preparedQuery(FanoutSql.RELEASE).execute(Tuple.of(owner)).map(rows -> rows.rowCount());
  }

  /**
   * Dead letters of a subscriber become pending and due now (all, or the one named).
   *
   * @param deliveryId null = all of the subscriber's dead letters
   * @return the ids replayed
   */
  public Future<List<UUID>> replay(UUID subscriberId, UUID deliveryId) {
    return pool.preparedQuery(FanoutSql.REPLAY).execute(Tuple.of(subscriberId, deliveryId)).map(rows -> {
      List<UUID> ids = new ArrayList<>();
      rows.forEach(r -> ids.add(r.getUUID("id")));
      return ids;
    });
  }

  /**
   * A subscriber's deliveries, newest first.
   *
   * @param state  null = every state
   * @param before null, or only those created before this time (the next page)
   * @param participant null, or only this participant's
   */
  public Future<List<DeliveryRecord>> list(UUID subscriberId, String state, int limit, OffsetDateTime before,
      String participant) {
    return pool.preparedQuery(FanoutSql.LIST_DELIVERIES)
        .execute(Tuple.of(subscriberId, state, limit, before, participant))
        .map(rows -> {
          List<DeliveryRecord> out = new ArrayList<>();
          rows.forEach(r -> out.add(Rows.delivery(r)));
          return out;
        });
  }

  public Future<QueueState> queue() {
    return pool.query(FanoutSql.QUEUE).execute().map(rows -> {
      Row r = rows.iterator().next();
      return new QueueState(r.getLong("pending"), r.getDouble("oldest_seconds"));
    });
  }

  /**
   * A subscriber whose secret or client key does not open is not sent to: nothing is signed with
   * a value that may have been altered. Its deliveries wait; logged once per subscriber.
   */
  private void unreadable(UUID subscriber, SealedSecretException e) {
    if (reportedUnreadable.add(subscriber)) {
      log.error("subscriber {}: not delivering, its secrets cannot be used: {}", subscriber, e.getMessage());
    }
  }

  /**
   * A random 32-byte key shared by every replica under {@code name}: made by the first that asks,
   * stored sealed. Fails with {@link SealedSecretException} when the stored one does not open.
   */
  public Future<byte[]> sharedKey(String name) {
    return sharedKey(name, 3);
  }

  private Future<byte[]> sharedKey(String name, int tries) {
    byte[] fresh = new byte[32];
    RANDOM.nextBytes(fresh);
    String place = SealedColumn.SHARED_KEY.place(name);
    SealedValue sealed = keys.seal(fresh, place);
    return pool.preparedQuery(FanoutSql.SHARED_KEY)
        .execute(Tuple.of(name, Buffer.buffer(sealed.box()), sealed.keyId())).compose(rows -> {
          if (rows.size() == 0) {
            return tries > 1 ? sharedKey(name, tries - 1) : Future.failedFuture("no key " + name + " could be read");
          }
          Row r = rows.iterator().next();
          Buffer plain = r.getBuffer("key");
          return Future.succeededFuture(plain != null ? plain.getBytes()
              : keys.open(new SealedValue(r.getString("sealing_key_id"), r.getBuffer("key_sealed").getBytes()), place));
        });
  }
}
