package org.omspush.store.fanout;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.omspush.store.secrets.SealedColumn;
import org.omspush.store.secrets.SealedSecretException;
import org.omspush.store.secrets.SealedValue;
import org.omspush.store.secrets.SecretKeys;

/**
 * Subscribers and their secrets, as the admin API changes them. Every method returns at once;
 * the SQL is in {@link FanoutSql}. "Not found" is a null result, not a failure.
 */
public final class SubscriberStore {
  private final Pool pool;
  private final SecretKeys keys;

  /** @param keys seal the secrets and client keys written, open those read */
  public SubscriberStore(Pool pool, SecretKeys keys) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  /** Inserts a subscriber with its first secret, in one transaction. */
  public Future<Subscriber> create(UUID id, SubscriberFields f, String secret) {
    Objects.requireNonNull(secret, "secret");
    SealedValue sealed = keys.seal(secret, SealedColumn.SUBSCRIBER_SECRET.place(id));
    return pool.withTransaction(conn -> conn.preparedQuery(FanoutSql.INSERT_SUBSCRIBER)
            .execute(fieldParams(Tuple.of(id), id, f).addValue(f.clientKeyPem() == null ? null : keys.currentId()))
            .compose(x -> conn.preparedQuery(FanoutSql.INSERT_SECRET)
                .execute(Tuple.of(id, Buffer.buffer(sealed.box()), sealed.keyId()))))
        .compose(x -> get(id));
  }

  /** @return null when there is none; fails with {@link SealedSecretException} when its secrets do not open */
  public Future<Subscriber> get(UUID id) {
    return pool.preparedQuery(FanoutSql.SELECT_SUBSCRIBER).execute(Tuple.of(id))
        .compose(rows -> withSecrets(pool, rows, keys, null))
        .map(list -> list.isEmpty() ? null : list.get(0));
  }

  /** Every subscriber, oldest first; fails with {@link SealedSecretException} when a secret does not open. */
  public Future<List<Subscriber>> list() {
    return pool.query(FanoutSql.SELECT_SUBSCRIBERS).execute().compose(rows -> withSecrets(pool, rows, keys, null));
  }

  /**
   * Replaces what an operator can change.
   *
   * @param disabledReason recorded when this update disables the subscriber
   * @return the subscriber as it is now, or null when there is none with this id
   */
  public Future<Subscriber> update(UUID id, SubscriberFields f, String disabledReason) {
    return pool.preparedQuery(FanoutSql.UPDATE_SUBSCRIBER)
        .execute(fieldParams(Tuple.of(id), id, f).addValue(disabledReason)
            .addValue(f.clientKeyPem() == null ? null : keys.currentId()))
        .compose(rows -> rows.rowCount() == 0 ? Future.succeededFuture(null) : get(id));
  }

  /** @return false when there was none with this id */
  public Future<Boolean> delete(UUID id) {
    return pool.preparedQuery(FanoutSql.DELETE_SUBSCRIBER).execute(Tuple.of(id)).map(rows -> rows.rowCount() > 0);
  }

  /**
   * Makes {@code secret} the current one; the previous current secret keeps signing for
   * {@code grace}.
   *
   * @return the subscriber with its secrets now, or null when there is none with this id
   */
  public Future<Subscriber> rotateSecret(UUID id, String secret, Duration grace) {
    SealedValue sealed = keys.seal(secret, SealedColumn.SUBSCRIBER_SECRET.place(id));
    return pool.preparedQuery(FanoutSql.ROTATE_SECRET)
        .execute(Tuple.of(id, Buffer.buffer(sealed.box()), grace.toMillis(), sealed.keyId()))
        .compose(rows -> rows.iterator().next().getLong("inserted") == 0 ? Future.succeededFuture(null) : get(id));
  }

  /**
   * Adds each subscriber's active secrets, opened.
   *
   * @param unreadable null: a secret or client key that does not open fails the whole; else a
   *                   subscriber whose do not is left out and handed to it
   */
  static Future<List<Subscriber>> withSecrets(SqlClient client, RowSet<Row> rows, SecretKeys keys,
      BiConsumer<UUID, SealedSecretException> unreadable) {
    List<Row> found = new ArrayList<>();
    rows.forEach(found::add);
    if (found.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    UUID[] ids = found.stream().map(r -> r.getUUID("id")).toArray(UUID[]::new);
    return client.preparedQuery(FanoutSql.ACTIVE_SECRETS).execute(Tuple.of(ids)).map(secretRows -> {
      Map<UUID, SealedSecretException> failed = new LinkedHashMap<>();
      Map<UUID, List<SubscriberSecret>> secrets = Rows.secrets(secretRows, keys, failed);
      List<Subscriber> out = new ArrayList<>(found.size());
      for (Row r : found) {
        UUID id = r.getUUID("id");
        try {
          if (!failed.containsKey(id)) {
            out.add(Rows.subscriber(r, secrets.getOrDefault(id, List.of()), keys));
          }
        } catch (SealedSecretException e) {
          failed.put(id, e);
        }
      }
      if (!failed.isEmpty()) {
        if (unreadable == null) {
          throw failed.values().iterator().next();
        }
        failed.forEach(unreadable);
      }
      return out;
    });
  }

  private Tuple fieldParams(Tuple t, UUID id, SubscriberFields f) {
    return t.addValue(f.url())
        .addValue(f.description())
        .addValue(Rows.array(f.eventTypes()))
        .addValue(Rows.array(f.outageTypes()))
        .addValue(Rows.array(f.markets()))
        .addValue(Rows.array(f.participants()))
        .addValue(f.enabled())
        .addValue(f.maxInFlight())
        .addValue(f.clientCertPem())
        .addValue(f.clientKeyPem() == null ? null
            : Buffer.buffer(keys.seal(f.clientKeyPem(), SealedColumn.SUBSCRIBER_CLIENT_KEY.place(id)).box()))
        .addValue(f.validationHandshake());
  }
}
