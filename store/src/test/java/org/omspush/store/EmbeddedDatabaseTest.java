package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.failureOf;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.rows;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedDatabaseTest {

  @TempDir
  Path dataDir;

  @Test
  void pool_recovers_by_itself_after_postgres_restarts_and_keeps_the_data() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, 0)) {
      int port = db.port();
      Migrations.migrate(db.url());
      Pool pool = Pools.create(vertx, db.url(), 4);
      PushStore store = new PushStore(pool);
      assertThat(await(store.storeOutageChange(message("m-1", "doc"), outage("OUT-1", 1)))).isEqualTo(StoreOutcome.STORED);

      db.stop();
      assertThat(failureOf(store.storeOutageChange(message("m-2", "doc"), outage("OUT-1", 2))))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(failureOf(store.ping())).isInstanceOf(StoreUnavailableException.class);

      db.start();
      assertThat(db.port()).isEqualTo(port);
      assertThat(eventually(() -> store.storeOutageChange(message("m-2", "doc"), outage("OUT-1", 2)), Duration.ofSeconds(10)))
          .isEqualTo(StoreOutcome.STORED);
      assertThat(count(db.url(), "inbound_message")).isEqualTo(2);
      assertThat(count(db.url(), "claim", "state = 'PENDING'")).isEqualTo(1);
      await(pool.close());
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void every_acknowledged_push_survives_a_postgres_restart_under_load() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, 0, false)) {
      Migrations.migrate(db.url());
      Pool pool = Pools.create(vertx, db.url(), 8);
      PushStore store = new PushStore(pool);
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
      AtomicInteger acknowledgedAfterRestart = new AtomicInteger();
      AtomicBoolean restarted = new AtomicBoolean();
      Semaphore inFlight = new Semaphore(16);
      long restartAt = System.nanoTime() + Duration.ofMillis(400).toNanos();
      // The load runs until 1.5 s after the first push acknowledged once Postgres is back, however
      // long the restart and the pool's connect backoff take on a busy machine.
      java.util.concurrent.atomic.AtomicLong endAt = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
      long giveUpAt = restartAt + Duration.ofSeconds(120).toNanos();
      Thread restarter = new Thread(() -> {
        sleepUntil(restartAt);
        db.stop();
        sleepUntil(restartAt + Duration.ofMillis(500).toNanos());
        db.start();
        restarted.set(true);
      });
      restarter.start();
      for (int i = 0; System.nanoTime() < Math.min(endAt.get(), giveUpAt); i++) {
        inFlight.acquire();
        String id = "load-" + i;
        Future<StoreOutcome> push = i % 3 == 0
            ? store.storeMarketEvent(message(id, id), Pushes.marketEvent("E-" + i, null))
            : store.storeOutageChange(message(id, id), outage("OUT-" + (i % 7), i));
        push.toCompletionStage().whenComplete((outcome, failure) -> {
          if (failure == null) {
            acknowledged.add(id);
            if (restarted.get() && acknowledgedAfterRestart.incrementAndGet() == 1) {
              endAt.set(System.nanoTime() + Duration.ofMillis(1500).toNanos());
            }
          } else {
            failures.add(failure);
          }
          inFlight.release();
        });
      }
      inFlight.acquire(16);
      restarter.join();
      await(pool.close());

      assertThat(failures).as("failures while Postgres was down").isNotEmpty()
          .allSatisfy(f -> assertThat(f).isInstanceOf(StoreUnavailableException.class));
      assertThat(acknowledgedAfterRestart.get()).as("pushes acknowledged after the restart").isPositive();
      Set<String> stored = rows(db.url(), "SELECT message_id FROM inbound_message").stream()
          .map(row -> (String) row.get("message_id"))
          .collect(Collectors.toSet());
      assertThat(stored).containsAll(acknowledged);
      for (int outage = 0; outage < 7; outage++) {
        assertThat(count(db.url(), "claim", "outage_mrid = ? AND state = 'PENDING'", "OUT-" + outage)).isLessThanOrEqualTo(1);
      }
    } finally {
      await(vertx.close());
    }
  }

  private static void sleepUntil(long nanoTime) {
    long millis = Duration.ofNanos(nanoTime - System.nanoTime()).toMillis();
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void embedded_server_is_durable_and_listens_on_loopback_only() {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, 0)) {
      assertThat(rows(db.url(), "SELECT current_setting('listen_addresses') AS listen,"
          + " current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync,"
          + " current_setting('unix_socket_directories') AS sockets, current_database() AS db"))
          .containsExactly(Map.of("listen", "localhost", "fsync", "on", "sync", "on", "sockets", "", "db", "oms"));
      assertThat(db.url().host()).isEqualTo("127.0.0.1");
    }
  }

  @Test
  void data_directory_is_kept_between_runs() {
    int port;
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, 0)) {
      port = db.port();
      Migrations.migrate(db.url());
    }
    try (EmbeddedDatabase again = EmbeddedDatabase.start(dataDir, port)) {
      assertThat(Migrations.migrate(again.url())).isZero();
      assertThat(count(again.url(), "inbound_message")).isZero();
    }
  }

  @Test
  void stop_returns_only_once_the_server_has_exited_even_with_a_client_in_a_transaction() throws Exception {
    EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, 0);
    long pid = postmasterPid(db);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.url().jdbcUrl(), EmbeddedDatabase.USER, null)) {
      c.setAutoCommit(false);
      c.createStatement().execute("CREATE TABLE held (x int)");
      db.stop();
      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("postmaster %d after stop()", pid).isEmpty();
      assertThat(db.dataDirectory().resolve("postmaster.pid")).doesNotExist();
      assertThat(db.isRunning()).isFalse();
    } catch (java.sql.SQLException expected) {
      // the server closed the client's session: that is what a fast shutdown does
    } finally {
      db.close();
    }
    assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void a_server_left_running_by_a_killed_jvm_is_stopped_and_its_data_kept() throws Exception {
    Path readyFile = dataDir.resolve("child-port");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), OrphanMaker.class.getName(),
        dataDir.toString(), readyFile.toString())
        .redirectErrorStream(true).redirectOutput(dataDir.resolve("child.log").toFile()).start();
    long orphanPid;
    int port;
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (!java.nio.file.Files.exists(readyFile)) {
        assertThat(child.isAlive()).as("child JVM: %s", readLog()).isTrue();
        assertThat(System.nanoTime()).as("child ready in time").isLessThan(deadline);
        Thread.sleep(100);
      }
      port = Integer.parseInt(java.nio.file.Files.readString(readyFile).strip());
      orphanPid = Long.parseLong(java.nio.file.Files.readAllLines(
          dataDir.resolve("postgres").resolve("postmaster.pid")).get(0).strip());
    } finally {
      child.destroyForcibly().waitFor();
    }
    assertThat(ProcessHandle.of(orphanPid).filter(ProcessHandle::isAlive)).as("the orphan outlives its JVM").isPresent();

    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, port)) {
      assertThat(ProcessHandle.of(orphanPid).filter(ProcessHandle::isAlive)).as("orphan stopped").isEmpty();
      assertThat(count(db.url(), "inbound_message")).isEqualTo(1);
    }
  }

  private String readLog() {
    try {
      return java.nio.file.Files.readString(dataDir.resolve("child.log"));
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private static long postmasterPid(EmbeddedDatabase db) throws java.io.IOException {
    return Long.parseLong(java.nio.file.Files.readAllLines(db.dataDirectory().resolve("postmaster.pid")).get(0).strip());
  }

  /** Started in a child JVM: a migrated server with one row, then waits to be killed. */
  public static final class OrphanMaker {
    public static void main(String[] args) throws Exception {
      EmbeddedDatabase db = EmbeddedDatabase.start(Path.of(args[0]), 0);
      Migrations.migrate(db.url());
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.url().jdbcUrl(), EmbeddedDatabase.USER, null)) {
        c.createStatement().execute("INSERT INTO inbound_message (message_id, raw_xml) VALUES ('orphan-1', 'x'::bytea)");
      }
      java.nio.file.Files.writeString(Path.of(args[1]), Integer.toString(db.port()));
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  /** Retries while the store answers "unavailable" (the pool may still hold a connection from before). */
  private static <T> T eventually(java.util.function.Supplier<Future<T>> action, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      try {
        return await(action.get());
      } catch (AssertionError e) {
        if (!(e.getCause() instanceof StoreUnavailableException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
