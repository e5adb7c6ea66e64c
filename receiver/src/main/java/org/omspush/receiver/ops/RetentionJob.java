package org.omspush.receiver.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.omspush.fanout.Durations;
import org.omspush.receiver.config.RetentionConfig;
import org.omspush.store.retention.RetentionRun;
import org.omspush.store.retention.RetentionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes old rows every {@link RetentionConfig#interval()}, on one replica at a time: each tick
 * takes the retention lease (database clock) for an interval, and only its holder runs. The
 * holder keeps it from tick to tick; when it stops ticking (stopped, died), the lease runs out and
 * another replica's next tick takes it over. A failed run is logged and the next tick tries again.
 *
 * <p>{@code oms_retention_deleted_total{table}} counts the rows this replica deleted.
 */
public final class RetentionJob {
  private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

  private final Vertx vertx;
  private final RetentionStore store;
  private final RetentionConfig config;
  private final String owner;
  private final Map<String, Counter> deleted = new LinkedHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean stopped;
  private volatile Future<?> current = Future.succeededFuture();
  private long firstTimer = -1;
  private long periodicTimer = -1;

  public RetentionJob(Vertx vertx, RetentionStore store, RetentionConfig config, MeterRegistry registry, String owner) {
    this.vertx = vertx;
    this.store = store;
    this.config = config;
    this.owner = owner;
    for (String table : RetentionRun.TABLES) {
      deleted.put(table, Counter.builder("oms.retention.deleted")
          .description("Rows deleted by data retention on this replica")
          .tag("table", table)
          .register(registry));
    }
  }

  /** The first run after {@link RetentionConfig#firstRun()}, then one every interval. */
  public void start() {
    if (config.policy().keepsEverything()) {
      log.info("retention is off (every OMS_RETENTION_* age is 0 or off): nothing is deleted");
      return;
    }
    firstTimer = vertx.setTimer(config.firstRun().toMillis(), t -> {
      firstTimer = -1;
      if (stopped) {
        return;
      }
      tick();
      periodicTimer = vertx.setPeriodic(config.interval().toMillis(), p -> tick());
    });
    var p = config.policy();
    log.info("retention: finished deliveries {}, dead letters {}, events {}, claims and pushes {}; every {} on one "
        + "replica at a time, first run in {}", human(p.deliveries()), human(p.dead()), human(p.events()),
        human(p.messages()), human(config.interval()), human(config.firstRun()));
  }

  private void tick() {
    if (!stopped) {
      runOnce();
    }
  }

  /**
   * One run if this replica gets the lease and no run of it is in progress; empty otherwise.
   * Never fails: a failure is logged at WARN and reported as empty.
   */
  public Future<Optional<RetentionRun>> runOnce() {
    if (stopped || !running.compareAndSet(false, true)) {
      return Future.succeededFuture(Optional.empty());
    }
    Future<Optional<RetentionRun>> run = store.takeLease(RetentionStore.LEASE, owner, config.interval())
        .compose(taken -> taken
            ? store.run(config.policy(), () -> stopped).map(Optional::of)
            : Future.succeededFuture(Optional.<RetentionRun>empty()))
        .onSuccess(r -> r.ifPresent(this::record))
        .recover(e -> {
          log.warn("retention run failed, trying again in {}: {}", config.interval(), e.toString());
          return Future.succeededFuture(Optional.empty());
        })
        .andThen(ar -> running.set(false));
    current = run;
    return run;
  }

  private void record(RetentionRun run) {
    run.deleted().forEach((table, n) -> {
      if (n > 0) {
        deleted.get(table).increment(n);
      }
    });
    if (run.total() > 0) {
      String counts = run.deleted().entrySet().stream().filter(e -> e.getValue() > 0)
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
      log.info("retention deleted {} rows ({}){}", run.total(), counts,
          run.capped().isEmpty() ? "" : "; more left for the next run in " + run.capped());
    } else {
      log.debug("retention: nothing to delete");
    }
  }

  private static String human(java.time.Duration d) {
    return d == null || d.isZero() ? "kept forever" : Durations.format(d);
  }

  /** No further runs; completes when a run in progress has finished its current batch. */
  public Future<Void> stop() {
    stopped = true;
    if (firstTimer >= 0) {
      vertx.cancelTimer(firstTimer);
      firstTimer = -1;
    }
    if (periodicTimer >= 0) {
      vertx.cancelTimer(periodicTimer);
      periodicTimer = -1;
    }
    return current.<Void>mapEmpty().otherwiseEmpty();
  }
}
