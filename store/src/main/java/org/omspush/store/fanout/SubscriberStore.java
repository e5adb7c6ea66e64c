package org.omspush.store.fanout;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Subscribers and their secrets, as the admin API changes them. Every method returns at once;
 * the SQL is in {@link FanoutSql}. "Not found" is a null result, not a failure.
 */
public final class SubscriberStore {
  private final Pool pool;

  public SubscriberStore(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /** Inserts a subscriber with its first secret, in one transaction. */
  public Future<Subscriber> create(UUID id, SubscriberFields f, String secret) {
    Objects.requireNonNull(secret, "secret");
    return pool.withTransaction(conn -> conn.preparedQuery(FanoutSql.INSERT_SUBSCRIBER)
            .execute(fieldParams(Tuple.of(id), f))
            .compose(x -> conn.preparedQuery(FanoutSql.INSERT_SECRET).execute(Tuple.of(id, secret))))
        .compose(x -> get(id));
  }

  public Future<Subscriber> get(UUID id) {
    return pool.preparedQuery(FanoutSql.SELECT_SUBSCRIBER).execute(Tuple.of(id))
        .compose(rows -> withSecrets(pool, rows))
        .map(list -> list.isEmpty() ? null : list.get(0));
  }

  /** Every subscriber, oldest first. */
  public Future<List<Subscriber>> list() {
    return pool.query(FanoutSql.SELECT_SUBSCRIBERS).execute().compose(rows -> withSecrets(pool, rows));
  }

  /**
   * Replaces what an operator can change.
   *
   * @param disabledReason recorded when this update disables the subscriber
   * @return the subscriber as it is now, or null when there is none with this id
   */
  public Future<Subscriber> update(UUID id, SubscriberFields f, String disabledReason) {
    return pool.preparedQuery(FanoutSql.UPDATE_SUBSCRIBER)
        .execute(fieldParams(Tuple.of(id), f).addValue(disabledReason))
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
    return pool.preparedQuery(FanoutSql.ROTATE_SECRET)
        .execute(Tuple.of(id, secret, grace.toMillis()))
        .compose(rows -> rows.iterator().next().getLong("inserted") == 0 ? Future.succeededFuture(null) : get(id));
  }

  /** Adds each subscriber's active secrets. */
  static Future<List<Subscriber>> withSecrets(SqlClient client, RowSet<Row> rows) {
    List<Row> found = new ArrayList<>();
    rows.forEach(found::add);
    if (found.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    UUID[] ids = found.stream().map(r -> r.getUUID("id")).toArray(UUID[]::new);
    return client.preparedQuery(FanoutSql.ACTIVE_SECRETS).execute(Tuple.of(ids)).map(secretRows -> {
      Map<UUID, List<SubscriberSecret>> secrets = Rows.secrets(secretRows);
      List<Subscriber> out = new ArrayList<>(found.size());
      for (Row r : found) {
        out.add(Rows.subscriber(r, secrets.getOrDefault(r.getUUID("id"), List.of())));
      }
      return out;
    });
  }

  private static Tuple fieldParams(Tuple t, SubscriberFields f) {
    return t.addValue(f.url())
        .addValue(f.description())
        .addValue(Rows.array(f.eventTypes()))
        .addValue(Rows.array(f.outageTypes()))
        .addValue(Rows.array(f.markets()))
        .addValue(Rows.array(f.participants()))
        .addValue(f.enabled())
        .addValue(f.maxInFlight())
        .addValue(f.clientCertPem())
        .addValue(f.clientKeyPem())
        .addValue(f.validationHandshake());
  }
}
