package org.omspush.store.retention;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Deletes old rows in batches (see {@link RetentionSql}), and the lease that lets one replica do
 * it per interval. Every batch is one statement on the pool, so its own short transaction:
 * nothing is held between batches, and a run competes with ingest and fan-out for one
 * connection at a time.
 */
public final class RetentionStore {
  /** Rows per delete statement. */
  public static final int BATCH_SIZE = 1_000;
  /** Batches per table and run; what is left waits for the next run. */
  public static final int MAX_BATCHES = 100;
  /** The lease row's name. */
  public static final String LEASE = "retention";

  private final Pool pool;
  private final int batchSize;
  private final int maxBatches;

  public RetentionStore(Pool pool) {
    this(pool, BATCH_SIZE, MAX_BATCHES);
  }

  /** Smaller batches and caps are for tests. */
  public RetentionStore(Pool pool, int batchSize, int maxBatches) {
    if (batchSize < 1 || maxBatches < 1) {
      throw new IllegalArgumentException("batch size and batches per run must be 1 or more");
    }
    this.pool = pool;
    this.batchSize = batchSize;
    this.maxBatches = maxBatches;
  }

  /**
   * Takes the lease {@code name} for {@code owner} until {@code lease} from now on the database
   * clock. True when taken: nobody held it, it ran out, or {@code owner} held it already.
   */
  public Future<Boolean> takeLease(String name, String owner, Duration lease) {
    return pool.preparedQuery(RetentionSql.TAKE_LEASE)
        .execute(Tuple.of(name, owner, seconds(lease)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** One run of every rule of {@code policy}. */
  public Future<RetentionRun> run(RetentionPolicy policy) {
    return run(policy, () -> false);
  }

  /**
   * One run; {@code stopping} is asked before every batch, and a run told to stop ends after the
   * batch in progress (what it deleted so far is reported, {@code cancelled} set).
   */
  public Future<RetentionRun> run(RetentionPolicy policy, BooleanSupplier stopping) {
    Map<String, Long> deleted = new LinkedHashMap<>();
    RetentionRun.TABLES.forEach(t -> deleted.put(t, 0L));
    Map<String, Integer> batches = new LinkedHashMap<>();
    Set<String> capped = new LinkedHashSet<>();
    Future<Void> chain = Future.succeededFuture();
    for (RetentionSql.Delete delete : RetentionSql.DELETES) {
      Duration age = policy.age(delete.age());
      if (RetentionPolicy.forever(age)) {
        continue;
      }
      chain = chain.compose(v -> batches(delete, seconds(age), stopping, deleted, batches, capped));
    }
    return chain.map(v -> new RetentionRun(deleted, capped, stopping.getAsBoolean()));
  }

  /** Batches of one delete until one comes back short, the table's cap is reached, or the run is stopping. */
  private Future<Void> batches(RetentionSql.Delete delete, double ageSeconds, BooleanSupplier stopping,
      Map<String, Long> deleted, Map<String, Integer> batches, Set<String> capped) {
    if (stopping.getAsBoolean()) {
      return Future.succeededFuture();
    }
    int done = batches.getOrDefault(delete.table(), 0);
    if (done >= maxBatches) {
      capped.add(delete.table());
      return Future.succeededFuture();
    }
    batches.put(delete.table(), done + 1);
    return pool.preparedQuery(delete.sql()).execute(Tuple.of(ageSeconds, batchSize)).compose(rows -> {
      deleted.merge(delete.table(), (long) rows.rowCount(), Long::sum);
      if (rows.rowCount() < batchSize) {
        return Future.succeededFuture();
      }
      return batches(delete, ageSeconds, stopping, deleted, batches, capped);
    });
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }
}
