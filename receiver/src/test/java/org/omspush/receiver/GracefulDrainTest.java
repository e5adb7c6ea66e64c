package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.PushLoad.eventually;
import static org.omspush.receiver.PushLoad.freeLoopbackPort;
import static org.omspush.receiver.PushLoad.readyStatus;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;
import org.omspush.store.testing.TestDatabase;

/**
 * SIGTERM under load (a receiver in its own JVM, {@link Process#destroy()}): readiness goes false
 * first, every push answered 200 is stored, nothing but 503s and connection errors otherwise,
 * the redemption and delivery workers leave no lease held, and the process exits 0 within
 * OMS_SHUTDOWN_TIMEOUT.
 */
class GracefulDrainTest {
  private static final int CONCURRENCY = 8;
  private static final Duration DRAIN_DELAY = Duration.ofSeconds(2);
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(20);
  private static final String TOKEN = "drain-test-token-" + UUID.randomUUID();

  @TempDir Path dir;
  private EmbeddedDatabase db;
  private Vertx vertx;
  private IsoSim iso;
  private HttpServer hook;
  private Pusher pusher;
  private PushLoad load;
  private ReceiverProcesses.ReceiverProcess receiver;
  private final AtomicBoolean polling = new AtomicBoolean(true);

  @AfterEach
  void cleanUp() throws Exception {
    polling.set(false);
    List<AutoCloseable> steps = new ArrayList<>();
    steps.add(() -> {
      if (receiver != null) {
        receiver.kill();
      }
    });
    steps.add(() -> {
      if (load != null) {
        load.stop();
      }
    });
    steps.add(() -> {
      if (pusher != null) {
        pusher.close();
      }
    });
    steps.add(() -> {
      if (vertx != null) {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    });
    steps.add(() -> {
      if (db != null) {
        db.close();
      }
    });
    ReceiverProcesses.closeAll(steps);
  }

  @Test
  void sigterm_under_load_loses_no_acked_push_and_leaves_no_lease_held() throws Exception {
    try {
      drainUnderLoad();
    } catch (Throwable t) {
      if (receiver != null) {
        System.err.printf("---- receiver (pid %d) output ----%n%s%n", receiver.process.pid(), receiver.log());
      }
      throw t;
    }
  }

  private void drainUnderLoad() throws Exception {
    CompletableFuture<EmbeddedDatabase> database = CompletableFuture.supplyAsync(() -> {
      EmbeddedDatabase started = EmbeddedDatabase.start(dir.resolve("db"), freeLoopbackPort(), false);
      Migrations.migrate(started.url());
      return started;
    });
    DevPki pki;
    try {
      pki = DevPki.generate(dir.resolve("pki"));
    } finally {
      db = database.get(120, TimeUnit.SECONDS);
    }
    vertx = Vertx.vertx();
    iso = TestReceiver.await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ofMillis(300))));
    // A subscriber that takes two seconds to answer: deliveries are in flight when SIGTERM comes.
    hook = TestReceiver.await(vertx.createHttpServer()
        .requestHandler(req -> req.body().onComplete(b -> vertx.setTimer(2000, t -> req.response().end())))
        .listen(0, "127.0.0.1"));

    Map<String, String> env = DevEnvironment.of(pki);
    env.putAll(RedemptionTest.isoEnvironment(pki, iso));
    // The lane spends most of its time at the gate, holding a claim's lease.
    env.put("OMS_AUP_INTERVAL", "2s");
    env.put("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db.url()));
    int pushPort = freeLoopbackPort();
    int opsPort = freeLoopbackPort();
    int adminPort = freeLoopbackPort();
    env.put("OMS_PUSH_PORT", String.valueOf(pushPort));
    env.put("OMS_OPS_PORT", String.valueOf(opsPort));
    env.put("OMS_ADMIN_PORT", String.valueOf(adminPort));
    env.put("OMS_ADMIN_TOKEN", TOKEN);
    env.put("OMS_DRAIN_DELAY", DRAIN_DELAY.toMillis() + "ms");
    env.put("OMS_SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.toSeconds() + "s");
    receiver = ReceiverProcesses.ReceiverProcess.start("receiver", env, dir.resolve("receiver.log"), pushPort, opsPort);

    pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(CONCURRENCY).timeout(Duration.ofSeconds(30)));
    PushSigner signer = PushSigner.of(pki.isoPushClient());
    load = new PushLoad(pusher, receiver.pushUrl(), signer, CONCURRENCY).presign(300);
    receiver.awaitReady();

    subscribe(adminPort);
    load.start();
    assertThat(eventually(Duration.ofSeconds(60), () -> load.count(PushLoad.Outcome::acked) >= 20))
        .as("20 acks under load before SIGTERM; %s", load.summary()).isTrue();
    // Market events without a claim check are published at once: deliveries in flight at SIGTERM.
    for (int i = 0; i < 5; i++) {
      MarketEvent event = new MarketEvent("EV-" + UUID.randomUUID(), "MARKET_DELAY", "DAM", LocalDate.of(2026, 11, 21),
          Instant.now().truncatedTo(ChronoUnit.MILLIS), "drain test", null);
      PushResult r = pusher.push(receiver.pushUrl(), PushMessage.MARKET_EVENT_ACTION,
          signer.sign(PushMessage.marketEvent(event).build(), Algorithm.RSA_SHA256)).await(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    assertThat(eventually(Duration.ofSeconds(30), () -> heldLeases("claim") > 0 && heldLeases("delivery") > 0))
        .as("a claim lease and a delivery lease held before SIGTERM: claims %s, deliveries %s",
            leaseSummary("claim"), leaseSummary("delivery")).isTrue();

    ConcurrentLinkedQueue<Integer> readyAfterTerm = new ConcurrentLinkedQueue<>();
    long termAt = System.nanoTime();
    receiver.process.destroy(); // SIGTERM
    Thread poller = new Thread(() -> {
      while (polling.get() && receiver.process.isAlive()) {
        readyAfterTerm.add(readyStatus(opsPort));
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "ready-poller");
    poller.start();

    boolean exited = receiver.process.waitFor(SHUTDOWN_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
    long exitMillis = (System.nanoTime() - termAt) / 1_000_000;
    load.stop();
    polling.set(false);
    poller.join(10_000);
    assertThat(exited).as("the receiver exits after SIGTERM within OMS_SHUTDOWN_TIMEOUT").isTrue();
    assertThat(receiver.process.exitValue()).as("exit status after a complete drain").isZero();
    // the first poll can beat the JVM's shutdown hook to the readiness flip by a few ms
    List<Integer> ready = List.copyOf(readyAfterTerm);
    int notReady = ready.indexOf(503);
    assertThat(notReady).as("/health/ready turns 503 within half a second of SIGTERM: %s", ready).isBetween(0, 10);
    assertThat(ready.subList(notReady, ready.size())).as("/health/ready once it is 503: %s", ready)
        .doesNotContain(200);

    Set<String> acked = load.ackedMessageIds();
    Set<String> stored = new HashSet<>();
    TestDatabase.rows(db.url(), "SELECT message_id FROM inbound_message")
        .forEach(r -> stored.add((String) r.get("message_id")));
    Set<String> lost = new TreeSet<>(acked);
    lost.removeAll(stored);
    assertThat(lost).as("answered 200 but not stored; %s", load.summary()).isEmpty();
    List<PushLoad.Outcome> unexpected = load.outcomes(o -> o.result() != null && !o.acked() && !o.storageUnavailable());
    assertThat(unexpected).as("answers other than 200, 503 or a connection error").isEmpty();
    assertThat(load.count(o -> o.error() != null)).as("pushes after the port closed fail to connect").isPositive();

    assertThat(heldLeases("claim")).as("claim leases still held after the drain").isZero();
    assertThat(heldLeases("delivery")).as("delivery leases still held after the drain").isZero();
    assertThat(TestDatabase.count(db.url(), "claim", "lease_owner IS NOT NULL")).as("claims with an owner").isZero();

    String log = Files.readString(receiver.logFile);
    assertThat(log).contains("drain 1/5").contains("drain 2/5").contains("drain 3/5").contains("drain 4/5")
        .contains("drain 5/5").contains("gave back");
    System.out.printf("drain test: exit after %d ms, %d acked, readiness after SIGTERM %s; %s%n", exitMillis,
        acked.size(), new TreeSet<>(readyAfterTerm), load.summary());
  }

  private long heldLeases(String table) {
    return TestDatabase.count(db.url(), table, "lease_until IS NOT NULL AND lease_until > now()");
  }

  private List<Map<String, Object>> leaseSummary(String table) {
    return TestDatabase.rows(db.url(), "SELECT state, count(*) AS n, count(lease_until) AS leased,"
        + " count(*) FILTER (WHERE lease_until > now()) AS held FROM " + table + " GROUP BY state");
  }

  /** Readiness is about pushes: the admin port may open a moment later. */
  private void subscribe(int adminPort) throws Exception {
    assertThat(eventually(Duration.ofSeconds(30), () -> {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", adminPort)) {
        return true;
      } catch (java.io.IOException e) {
        return false;
      }
    })).as("the admin port opens").isTrue();
    String body = new JsonObject().put("url", "http://127.0.0.1:" + hook.actualPort() + "/hook")
        .put("eventTypes", new JsonArray().add("market.event")).encode();
    HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + adminPort + "/api/v1/subscribers"))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
  }
}
