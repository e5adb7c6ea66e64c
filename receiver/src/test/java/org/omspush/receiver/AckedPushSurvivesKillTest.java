package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.PushLoad.eventually;
import static org.omspush.receiver.PushLoad.freeLoopbackPort;
import static org.omspush.receiver.PushLoad.readyStatus;

import io.vertx.core.Vertx;
import java.io.File;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;
import org.omspush.store.testing.TestDatabase;

/**
 * Invariant 1, ack after commit: a receiver killed with SIGKILL under load loses no push it
 * answered 200, and leaves nothing half-written. The receiver runs in its own JVM (the
 * {@code serve} command, configured by environment) so it can really be killed.
 */
class AckedPushSurvivesKillTest {
  private static final int CONCURRENCY = 16;
  private static final Duration READY_LIMIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private EmbeddedDatabase db;
  private Vertx vertx;
  private Pusher pusher;
  private PushLoad load;
  private final List<ReceiverProcesses.ReceiverProcess> receivers = new ArrayList<>();
  private final long started = System.nanoTime();

  @AfterEach
  void cleanUp() throws Exception {
    // Every step runs even when an earlier one fails: nothing may be left running.
    List<AutoCloseable> steps = new ArrayList<>();
    for (ReceiverProcesses.ReceiverProcess r : receivers) {
      steps.add(r::kill);
    }
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

  private void phase(String what) {
    System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, what);
  }

  @Test
  void acked_push_survives_kill_of_receiver() throws Exception {
    try {
      killUnderLoadAndRestart();
    } catch (Throwable t) {
      for (ReceiverProcesses.ReceiverProcess r : receivers) {
        System.err.printf("---- %s (pid %d) output, last lines of %s ----%n%s%n", r.name, r.process.pid(), r.logFile,
            r.log());
      }
      throw t;
    }
  }

  private void killUnderLoadAndRestart() throws Exception {
    // Postgres starts while the keys are generated.
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
    phase("database and PKI");

    ReceiverProcesses.ReceiverProcess first = startReceiver("receiver-1", pki);
    vertx = Vertx.vertx();
    pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(CONCURRENCY).timeout(Duration.ofSeconds(30)));
    PushSigner iso = PushSigner.of(pki.isoPushClient());
    // Signed while the receiver starts, so the load is mostly sending when the kill comes.
    load = new PushLoad(pusher, first.pushUrl(), iso, CONCURRENCY).presign(100);
    phase("presigned");
    first.awaitReady();
    phase("receiver-1 ready");

    long loadStarted = System.nanoTime();
    load.start();
    boolean loaded = eventually(Duration.ofSeconds(60), () ->
        System.nanoTime() - loadStarted >= TimeUnit.SECONDS.toNanos(1) && load.count(PushLoad.Outcome::acked) >= 20);
    assertThat(loaded).as("20 acks under load before the kill; %s", load.summary()).isTrue();

    first.kill(); // SIGKILL, pushes in flight
    load.stop();
    phase("killed under load");

    Set<String> acked = load.ackedMessageIds();
    List<PushLoad.Outcome> unexpected = load.outcomes(o -> !o.acked() && o.result() != null);
    long interrupted = load.count(o -> o.error() != null);

    ReceiverProcesses.ReceiverProcess second = startReceiver("receiver-2", pki);
    second.awaitReady();
    phase("receiver-2 ready");

    Map<String, Long> claimsByMessage = claimsPerOutageMessage();
    Set<String> lost = new TreeSet<>(acked);
    lost.removeAll(claimsByMessage.keySet());
    assertThat(acked).as("pushes acknowledged before the kill; %s", load.summary()).isNotEmpty();
    assertThat(lost.size()).as("acknowledged (200) but not in inbound_message after the kill: %d of %d acked,"
        + " e.g. %s; %s", lost.size(), acked.size(), PushLoad.some(lost), load.summary()).isZero();
    assertThat(acked.stream().filter(claimsByMessage::containsKey).count()).isEqualTo(acked.size());
    assertThat(interrupted).as("the kill should interrupt pushes in flight; %s", load.summary()).isPositive();
    assertThat(unexpected.size()).as("answers other than 200 before the kill, e.g. %s", PushLoad.some(unexpected))
        .isZero();

    Map<String, Long> halfWritten = new TreeMap<>(claimsByMessage);
    halfWritten.values().removeIf(n -> n == 1);
    assertThat(halfWritten.size()).as("outage messages without exactly one claim (MessageID=claims), e.g. %s",
        PushLoad.some(halfWritten.entrySet())).isZero();

    // The new receiver on the same database takes pushes.
    PushMessage fresh = PushLoad.newOutageChange();
    PushResult r = pusher.push(second.pushUrl(), PushLoad.OUTAGE, iso.sign(fresh, Algorithm.RSA_SHA256))
        .await(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as("new push to the restarted receiver: %s%nlog:%n%s", r.body(), second.log())
        .isEqualTo(200);
    assertThat(TestDatabase.count(db.url(), "inbound_message", "message_id = ?", fresh.messageId())).isEqualTo(1);
    System.out.printf("kill test: %d acked before SIGKILL, %d interrupted, %d rows; %s%n", acked.size(), interrupted,
        claimsByMessage.size(), load.summary());
  }

  /** Every receiveOutageStatusChange_v1 message in the database with its number of claim rows. */
  private Map<String, Long> claimsPerOutageMessage() {
    Map<String, Long> result = new HashMap<>();
    for (Map<String, Object> row : TestDatabase.rows(db.url(),
        "SELECT m.message_id, (SELECT count(*) FROM claim c WHERE c.inbound_message_id = m.id) AS claims"
            + " FROM inbound_message m WHERE m.action = ?", PushMessage.OUTAGE_STATUS_CHANGE_ACTION)) {
      result.put((String) row.get("message_id"), ((Number) row.get("claims")).longValue());
    }
    Set<String> all = new HashSet<>();
    TestDatabase.rows(db.url(), "SELECT message_id FROM inbound_message").forEach(r -> all.add((String) r.get("message_id")));
    assertThat(result.keySet()).as("only outage changes were pushed").isEqualTo(all);
    return result;
  }

  private ReceiverProcesses.ReceiverProcess startReceiver(String name, DevPki pki) throws IOException {
    Map<String, String> env = DevEnvironment.of(pki);
    env.put("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db.url()));
    int pushPort = freeLoopbackPort();
    int opsPort = freeLoopbackPort();
    env.put("OMS_PUSH_PORT", String.valueOf(pushPort));
    env.put("OMS_OPS_PORT", String.valueOf(opsPort));
    ReceiverProcesses.ReceiverProcess r = ReceiverProcesses.ReceiverProcess.start(name, env, dir.resolve(name + ".log"), pushPort, opsPort);
    receivers.add(r);
    return r;
  }
}
