package org.omspush.receiver.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.execute;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.omspush.receiver.config.RetentionConfig;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.Pools;
import org.omspush.store.retention.RetentionPolicy;
import org.omspush.store.retention.RetentionRun;
import org.omspush.store.retention.RetentionStore;
import org.omspush.store.testing.RetentionRows;
import org.omspush.store.testing.TestDatabase;
import org.slf4j.LoggerFactory;

class RetentionJobTest {
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(RetentionJob.class);
  private final List<Pool> pools = new ArrayList<>();
  private final List<RetentionJob> jobs = new ArrayList<>();
  private Level levelBefore;
  private Vertx vertx;
  private DatabaseUrl db;
  private RetentionRows rows;

  @BeforeEach
  void setUp() {
    logs.start();
    logger.addAppender(logs);
    // other tests in this JVM change the root level (the demo sets ERROR)
    levelBefore = logger.getLevel();
    logger.setLevel(Level.INFO);
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    rows = new RetentionRows(db);
  }

  @AfterEach
  void tearDown() {
    jobs.forEach(j -> await(j.stop()));
    pools.forEach(p -> await(p.close()));
    await(vertx.close());
    logger.detachAppender(logs);
    logger.setLevel(levelBefore);
  }

  private RetentionJob job(String owner, RetentionConfig config, PrometheusMeterRegistry registry) {
    Pool pool = Pools.create(vertx, db, 2);
    pools.add(pool);
    RetentionJob job = new RetentionJob(vertx, new RetentionStore(pool), config, registry, owner);
    jobs.add(job);
    return job;
  }

  private static RetentionConfig hourly() {
    return new RetentionConfig(RetentionPolicy.defaults(), Duration.ofHours(1), Duration.ofMinutes(1));
  }

  private static PrometheusMeterRegistry registry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /** Two delivered deliveries and a dead one, all eight days old, of one young event. */
  private void oldDeliveries() {
    UUID event = rows.marketEventOutbox(null, null, null);
    rows.delivery(event, rows.subscriber(), "DELIVERED");
    rows.delivery(event, rows.subscriber(), "DELIVERED");
    rows.delivery(event, rows.subscriber(), "DEAD");
    rows.makeOld("delivery", 8, null);
  }

  private static double deleted(PrometheusMeterRegistry registry, String table) {
    return registry.get("oms.retention.deleted").tag("table", table).counter().count();
  }

  private List<String> logged(Level level) {
    List<ILoggingEvent> events;
    synchronized (logs) { // the appender appends under this lock, from the event loop
      events = new ArrayList<>(logs.list);
    }
    return events.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void a_run_deletes_old_rows_counts_them_and_logs_what_it_deleted() {
    oldDeliveries();
    PrometheusMeterRegistry registry = registry();
    RetentionJob job = job("replica-a", hourly(), registry);

    Optional<RetentionRun> run = await(job.runOnce());

    assertThat(run).isPresent();
    assertThat(run.get().deleted(RetentionRun.DELIVERY)).isEqualTo(2);
    assertThat(count(db, "delivery")).isEqualTo(1);
    assertThat(deleted(registry, RetentionRun.DELIVERY)).isEqualTo(2.0);
    assertThat(deleted(registry, RetentionRun.EVENT)).isZero();
    assertThat(registry.scrape()).contains("oms_retention_deleted_total{table=\"delivery\"} 2.0")
        .contains("oms_retention_deleted_total{table=\"inbound_message\"} 0.0");
    assertThat(logged(Level.INFO)).anySatisfy(m -> assertThat(m).contains("retention deleted 2 rows (delivery=2)"));

    // the holder keeps the lease: the next interval runs here again, and finds nothing more
    synchronized (logs) {
      logs.list.clear();
    }
    Optional<RetentionRun> again = await(job.runOnce());
    assertThat(again).isPresent();
    assertThat(again.get().total()).isZero();
    assertThat(deleted(registry, RetentionRun.DELIVERY)).isEqualTo(2.0);
    assertThat(logged(Level.INFO)).isEmpty();
  }

  @Test
  void of_two_replicas_ticking_together_only_one_runs() {
    oldDeliveries();
    PrometheusMeterRegistry registryA = registry();
    PrometheusMeterRegistry registryB = registry();
    RetentionJob a = job("replica-a", hourly(), registryA);
    RetentionJob b = job("replica-b", hourly(), registryB);

    Future<Optional<RetentionRun>> runA = a.runOnce();
    Future<Optional<RetentionRun>> runB = b.runOnce();
    boolean ranA = await(runA).isPresent();
    boolean ranB = await(runB).isPresent();

    assertThat(ranA ^ ranB).as("exactly one ran (a: %s, b: %s)", ranA, ranB).isTrue();
    assertThat(deleted(registryA, RetentionRun.DELIVERY) + deleted(registryB, RetentionRun.DELIVERY)).isEqualTo(2.0);
    assertThat(count(db, "delivery")).isEqualTo(1);
    // the other one stays out for the rest of the interval
    RetentionJob loser = ranA ? b : a;
    rows.makeOld("delivery", 40, null);
    assertThat(await(loser.runOnce())).isEmpty();
    assertThat(count(db, "delivery")).isEqualTo(1);
  }

  @Test
  void a_failed_run_is_logged_and_the_next_interval_runs_again() {
    oldDeliveries();
    PrometheusMeterRegistry registry = registry();
    execute(db, "ALTER TABLE delivery RENAME TO delivery_away");
    RetentionJob job = job("replica-a", new RetentionConfig(RetentionPolicy.defaults(), Duration.ofMillis(200),
        Duration.ofMillis(50)), registry);

    job.start();
    waitFor(() -> logged(Level.WARN).size() >= 2, "two failed runs");
    assertThat(logged(Level.WARN).get(0)).startsWith("retention run failed, trying again in");
    assertThat(count(db, "delivery_away")).isEqualTo(3);

    execute(db, "ALTER TABLE delivery_away RENAME TO delivery");
    waitFor(() -> deleted(registry, RetentionRun.DELIVERY) == 2.0, "a later run deleted the old deliveries");
    assertThat(count(db, "delivery")).isEqualTo(1);
  }

  @Test
  void after_stop_it_runs_no_more() throws Exception {
    oldDeliveries();
    PrometheusMeterRegistry registry = registry();
    RetentionJob job = job("replica-a", new RetentionConfig(RetentionPolicy.defaults(), Duration.ofMillis(100),
        Duration.ofMillis(200)), registry);

    job.start();
    await(job.stop());
    Thread.sleep(500);

    assertThat(count(db, "delivery")).isEqualTo(3);
    assertThat(await(job.runOnce())).isEmpty();
    assertThat(count(db, "delivery")).isEqualTo(3);
  }

  @Test
  void with_every_age_off_it_never_runs() throws Exception {
    oldDeliveries();
    rows.makeOld("delivery", 3650, null);
    RetentionJob job = job("replica-a", new RetentionConfig(RetentionPolicy.keepForever(), Duration.ofMillis(100),
        Duration.ofMillis(10)), registry());

    job.start();
    Thread.sleep(400);

    assertThat(count(db, "delivery")).isEqualTo(3);
    assertThat(count(db, "maintenance_lease")).as("not even the lease is taken").isZero();
    assertThat(logged(Level.INFO)).anySatisfy(m -> assertThat(m).contains("retention is off"));
  }

  private static void waitFor(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("no success within 30 s", e);
    }
  }
}
