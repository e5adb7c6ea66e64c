package org.omspush.store.secrets;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every secret column at once: sealing the rows that still hold plaintext (at start-up), re-sealing
 * them all under a new key (a rotation), and counting them by key. Each batch is one short
 * transaction that locks its rows ({@code FOR UPDATE SKIP LOCKED}), so replicas doing the same at
 * the same time share the work and a row is never sealed twice over; running it again does nothing.
 */
public final class SealedSecrets {
  private final Pool pool;

  public SealedSecrets(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /** How many secrets each key seals, and how many are still plaintext. */
  public record Census(Map<String, Long> byKey, long plaintext) {
    /** Ids of keys that seal some row and are not in {@code keys}. */
    public List<String> unknownTo(SecretKeys keys) {
      return byKey.keySet().stream().filter(id -> !keys.opens(id)).toList();
    }
  }

  /** Seals every plaintext secret under the current key. @return how many were sealed here */
  public Future<Integer> sealPlaintext(SecretKeys keys) {
    return all(keys, true);
  }

  /**
   * Re-seals every secret that is not under the current key (plaintext ones too); {@code keys}
   * must open them.
   *
   * @return how many were re-sealed here
   */
  public Future<Integer> resealAll(SecretKeys keys) {
    return all(keys, false);
  }

  public Future<Census> census() {
    return pool.query(SecretsSql.CENSUS).execute().map(rows -> {
      Map<String, Long> byKey = new LinkedHashMap<>();
      long plain = 0;
      for (Row r : rows) {
        if (r.getString("key_id") == null) {
          plain = r.getLong("secrets");
        } else {
          byKey.put(r.getString("key_id"), r.getLong("secrets"));
        }
      }
      return new Census(byKey, plain);
    });
  }

  private Future<Integer> all(SecretKeys keys, boolean plaintextOnly) {
    Future<Integer> done = Future.succeededFuture(0);
    for (SealedColumn c : SealedColumn.values()) {
      done = done.compose(n -> column(c, keys, plaintextOnly, n));
    }
    return done;
  }

  private Future<Integer> column(SealedColumn c, SecretKeys keys, boolean plaintextOnly, int sofar) {
    return pool.withTransaction(conn -> conn.preparedQuery(SecretsSql.batch(c))
        .execute(Tuple.of(keys.currentId(), plaintextOnly))
        .compose(rows -> {
          List<Tuple> updates = new ArrayList<>();
          for (Row r : rows) {
            String place = c.place(r.getString("owner"));
            byte[] plain = plain(c, r, keys, place);
            SealedValue v = keys.seal(plain, place);
            updates.add(Tuple.of(r.getValue("row_key"), Buffer.buffer(v.box()), v.keyId()));
          }
          return updates.isEmpty() ? Future.succeededFuture(0)
              : conn.preparedQuery(SecretsSql.store(c)).executeBatch(updates).map(x -> updates.size());
        }))
        .compose(n -> n == 0 ? Future.succeededFuture(sofar) : column(c, keys, plaintextOnly, sofar + n));
  }

  private static byte[] plain(SealedColumn c, Row r, SecretKeys keys, String place) {
    Object plain = r.getValue("plain");
    if (plain != null) {
      return c.text ? ((String) plain).getBytes(StandardCharsets.UTF_8) : ((Buffer) plain).getBytes();
    }
    return keys.open(new SealedValue(r.getString("sealing_key_id"), r.getBuffer("sealed").getBytes()), place);
  }
}
