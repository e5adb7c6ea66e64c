package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Writes pushes that arrive together in one transaction (group commit): one WAL flush for many
 * pushes instead of one each. Up to {@link #CONCURRENT_BATCHES} writes run at once, each push
 * alone as one statement (Postgres already shares WAL flushes between concurrent commits); only
 * pushes that arrive while all of them are busy wait, and are then written together.
 *
 * <p>Each push is answered only after the transaction that holds it commits. One push's failure
 * never fails the others: the statements of a batch are pipelined in one transaction, and when
 * one is refused, that push fails with its own error and the rest of the batch is written again
 * in a new transaction (a deadlock or serialization failure retries them all). A push is tried
 * in at most {@link #TRIES} batches; a database that cannot be reached fails the whole batch at
 * once (the sender retries later).
 */
final class GroupCommit {
  /**
   * Batches written at the same time. With 2, pushes grouped even at low concurrency and the
   * store went slower than one statement per push at 8 and 32 concurrent pushes (bench/INGEST.md).
   */
  static final int CONCURRENT_BATCHES = 8;
  /** Pushes in one batch at most… */
  static final int MAX_BATCH = 64;
  /** …and bytes of raw XML (a larger push goes alone): what a batch holds in the client's buffers. */
  static final long MAX_BATCH_BYTES = 8L * 1024 * 1024;
  /** Batches a push is tried in before it fails. */
  static final int TRIES = 3;

  /**
   * One push to write: its statement, its parameters, how to read its row, and the order in
   * which a batch takes the locks ({@code lockKey}: pushes of one outage in a batch meet the
   * outage row lock in the same order in every batch).
   */
  static final class Write {
    final String what;
    final String sql;
    final Tuple params;
    final String lockKey;
    final long bytes;
    final BiFunction<Row, SqlClient, Future<StoreOutcome>> read;
    final Promise<StoreOutcome> result = Promise.promise();
    int tries;

    Write(String what, String sql, Tuple params, String lockKey, long bytes,
        BiFunction<Row, SqlClient, Future<StoreOutcome>> read) {
      this.what = what;
      this.sql = sql;
      this.params = params;
      this.lockKey = lockKey;
      this.bytes = bytes;
      this.read = read;
    }
  }

  private final Pool pool;
  private final int concurrentBatches;
  private final int maxBatch;
  private final Deque<Write> waiting = new ArrayDeque<>();
  private int running;
  private long batches;
  private int largestBatch;

  GroupCommit(Pool pool) {
    this(pool, CONCURRENT_BATCHES, MAX_BATCH);
  }

  /** @param maxBatch 1: every push in its own statement, no grouping (for comparisons) */
  GroupCommit(Pool pool, int concurrentBatches, int maxBatch) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.concurrentBatches = concurrentBatches;
    this.maxBatch = maxBatch;
  }

  Future<StoreOutcome> submit(Write w) {
    List<Write> batch;
    synchronized (this) {
      waiting.addLast(w);
      batch = next();
    }
    run(batch);
    return w.result.future();
  }

  /** Batches written so far, and the most pushes one held (for tests and metrics). */
  synchronized long batches() {
    return batches;
  }

  synchronized int largestBatch() {
    return largestBatch;
  }

  /** The next batch when a slot is free, or null; holds the monitor. */
  private List<Write> next() {
    if (running >= concurrentBatches || waiting.isEmpty()) {
      return null;
    }
    List<Write> batch = new ArrayList<>();
    long bytes = 0;
    while (!waiting.isEmpty() && batch.size() < maxBatch
        && (batch.isEmpty() || bytes + waiting.peekFirst().bytes <= MAX_BATCH_BYTES)) {
      Write w = waiting.pollFirst();
      bytes += w.bytes;
      batch.add(w);
    }
    running++;
    batches++;
    largestBatch = Math.max(largestBatch, batch.size());
    return batch;
  }

  private void run(List<Write> batch) {
    if (batch == null) {
      return;
    }
    Future<Void> done = batch.size() == 1 ? alone(batch.get(0)) : together(batch);
    done.onComplete(x -> {
      List<Write> following;
      synchronized (this) {
        running--;
        following = next();
      }
      run(following);
    });
  }

  /** One push: its statement commits on its own (no BEGIN/COMMIT round trips). */
  private Future<Void> alone(Write w) {
    w.tries++;
    pool.withConnection(conn -> conn.preparedQuery(w.sql).execute(w.params)
            .compose(rows -> w.read.apply(single(rows), conn)))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            w.result.complete(ar.result());
          } else {
            w.result.fail(StoreFailures.translate(w.what, ar.cause()));
          }
        });
    // the slot is free once the statement is answered; a late repeat's count runs outside it
    return w.result.future().<Void>mapEmpty().otherwiseEmpty();
  }

  private Future<Void> together(List<Write> batch) {
    List<Write> ordered = new ArrayList<>(batch);
    ordered.sort(Comparator.comparing((Write w) -> w.lockKey));
    ordered.forEach(w -> w.tries++);
    List<Future<RowSet<Row>>> statements = new ArrayList<>(ordered.size());
    Promise<Void> settled = Promise.promise();
    pool.withTransaction(conn -> {
      for (Write w : ordered) {
        statements.add(conn.preparedQuery(w.sql).execute(w.params));
      }
      return Future.join(statements).<Void>mapEmpty();
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        for (int i = 0; i < ordered.size(); i++) {
          Write w = ordered.get(i);
          Row row;
          try {
            row = single(statements.get(i).result());
          } catch (RuntimeException e) {
            w.result.fail(StoreFailures.translate(w.what, e));
            continue;
          }
          w.read.apply(row, pool).onComplete(r -> {
            if (r.succeeded()) {
              w.result.complete(r.result());
            } else {
              w.result.fail(StoreFailures.translate(w.what, r.cause()));
            }
          });
        }
      } else {
        failed(ordered, statements, ar.cause());
      }
      settled.complete();
    });
    return settled.future();
  }

  /**
   * A batch rolled back: the pushes whose own statement the database refused fail; the others
   * are written again, ahead of newer arrivals.
   */
  private void failed(List<Write> batch, List<Future<RowSet<Row>>> statements, Throwable cause) {
    List<Write> again = new ArrayList<>();
    boolean anyOwnFault = false;
    for (int i = 0; i < batch.size(); i++) {
      Write w = batch.get(i);
      Throwable own = i < statements.size() && statements.get(i).failed() ? statements.get(i).cause() : null;
      if (own instanceof PgException pg && ownFault(pg)) {
        anyOwnFault = true;
        w.result.fail(StoreFailures.translate(w.what, own));
      } else {
        again.add(w);
      }
    }
    if (!anyOwnFault && StoreFailures.unavailable(cause) && !retryable(cause)) {
      // no connection, a server shutting down: the senders retry later
      again.forEach(w -> w.result.fail(StoreFailures.translate(w.what, cause)));
      return;
    }
    List<Write> retry = new ArrayList<>();
    for (Write w : again) {
      if (w.tries >= TRIES) {
        w.result.fail(StoreFailures.translate(w.what, cause));
      } else {
        retry.add(w);
      }
    }
    synchronized (this) {
      for (int i = retry.size() - 1; i >= 0; i--) {
        waiting.addFirst(retry.get(i));
      }
    }
  }

  /** A statement refused for what it carries, not because another one aborted the transaction. */
  private static boolean ownFault(PgException pg) {
    String state = pg.getSqlState() == null ? "" : pg.getSqlState();
    return !state.equals("25P02") && !state.startsWith("40");
  }

  /** A deadlock or serialization failure: the same statements can succeed in a new transaction. */
  private static boolean retryable(Throwable failure) {
    for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getSqlState() != null && pg.getSqlState().startsWith("40");
      }
    }
    return false;
  }

  private static Row single(RowSet<Row> rows) {
    if (rows.size() != 1) {
      throw new IllegalStateException("expected one row, got " + rows.size());
    }
    return rows.iterator().next();
  }
}
