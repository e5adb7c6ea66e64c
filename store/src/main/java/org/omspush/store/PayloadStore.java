package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Retrieved documents, gzipped, in pieces of bounded size: written one statement per chunk as an
 * answer streams in (no transaction spans the ISO's answer), read back one piece at a time. A
 * payload becomes complete, with its size and SHA-256, only in the transaction that redeems its
 * claim; until then nothing refers to it. The SQL is in {@link PayloadSql}.
 */
public final class PayloadStore {

  /**
   * A complete payload. {@code sizeBytes} and {@code sha256} (lowercase hex) are over the
   * uncompressed document; {@code gzipBytes} is the stored length; {@code pieces} how many rows
   * {@link #pieces} reads in all.
   */
  public record Described(long id, String contentType, long sizeBytes, String sha256, int pieces, long gzipBytes) {}

  private final Pool pool;

  public PayloadStore(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /** A new payload to write into; @return its id */
  public Future<Long> begin() {
    return pool.query(PayloadSql.BEGIN).execute().map(rows -> rows.iterator().next().getLong("id"))
        .recover(e -> failed("starting a payload", e));
  }

  /** Chunk {@code seq} (from 0) of a payload still being written. */
  public Future<Void> append(long payloadId, int seq, Buffer gzip) {
    return pool.preparedQuery(PayloadSql.APPEND).execute(Tuple.of(payloadId, seq, gzip))
        .compose(rows -> rows.rowCount() == 1 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new StoreRejectedException("payload " + payloadId + " is not being written", "22000",
                null)))
        .recover(e -> failed("storing a payload chunk", e));
  }

  /** Deletes a payload nothing refers to, with its chunks; one that is referenced stays. */
  public Future<Void> discard(long payloadId) {
    return pool.preparedQuery(PayloadSql.DISCARD).execute(Tuple.of(payloadId)).<Void>mapEmpty()
        .recover(e -> failed("deleting an unused payload", e));
  }

  /** @return null when there is no complete payload with this id */
  public Future<Described> describe(long payloadId) {
    return pool.preparedQuery(PayloadSql.DESCRIBE).execute(Tuple.of(payloadId)).map(rows -> {
      if (rows.size() == 0) {
        return (Described) null;
      }
      Row r = rows.iterator().next();
      return new Described(r.getLong("id"), r.getString("content_type"), r.getLong("size_bytes"),
          r.getString("sha256"), r.getLong("pieces").intValue(), r.getLong("gzip_bytes"));
    }).recover(e -> failed("reading a payload", e));
  }

  /** Up to {@code count} pieces from index {@code from} on (0-based), in order. */
  public Future<List<Buffer>> pieces(long payloadId, int from, int count) {
    return pool.preparedQuery(PayloadSql.PIECES).execute(Tuple.of(payloadId, from, count))
        .map(PayloadStore::buffers).recover(e -> failed("reading a payload", e));
  }

  private static List<Buffer> buffers(RowSet<Row> rows) {
    List<Buffer> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(r.getBuffer("data"));
    }
    return out;
  }

  private static <T> Future<T> failed(String what, Throwable e) {
    return Future.failedFuture(StoreFailures.translate(what, e));
  }
}
