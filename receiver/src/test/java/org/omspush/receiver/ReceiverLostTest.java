package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.PushLoad.freeLoopbackPort;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/**
 * A document whose fetch kills its receiver (here: SIGKILL while the ISO answers it slowly, as
 * for a document that runs the JVM out of memory) is set aside after three lost fetches, so it
 * does not take every replica down in turn; the claims behind it are redeemed.
 */
class ReceiverLostTest {
  @TempDir Path dir;
  Vertx vertx;
  IsoSim iso;
  DatabaseUrl db;
  final List<ReceiverProcesses.ReceiverProcess> receivers = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
  }

  @AfterEach
  void stop() throws Exception {
    List<AutoCloseable> steps = new ArrayList<>();
    for (var r : receivers) {
      steps.add(r::kill);
    }
    steps.add(() -> {
      if (iso != null) {
        await(iso.close());
      }
    });
    steps.add(() -> await(vertx.close()));
    ReceiverProcesses.closeAll(steps);
  }

  private ReceiverProcesses.ReceiverProcess receiver(DevPki pki, int n) throws Exception {
    Map<String, String> env = DevEnvironment.of(pki);
    env.putAll(RedemptionTest.isoEnvironment(pki, iso));
    env.put("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db));
    env.put("OMS_PUSH_PORT", String.valueOf(freeLoopbackPort()));
    env.put("OMS_OPS_PORT", String.valueOf(freeLoopbackPort()));
    env.put("OMS_CLAIM_LEASE", "2s");
    env.put("OMS_RETRIEVE_TIMEOUT", "5m");
    String name = "receiver-" + n;
    var r = ReceiverProcesses.ReceiverProcess.start(name, env, dir.resolve(name + ".log"),
        Integer.parseInt(env.get("OMS_PUSH_PORT")), Integer.parseInt(env.get("OMS_OPS_PORT")));
    receivers.add(r);
    return r;
  }

  private void eventually(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        StringBuilder logs = new StringBuilder();
        receivers.forEach(r -> logs.append("\n--- ").append(r.name).append(" ---\n").append(r.log()));
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + logs);
      }
      Thread.sleep(100);
    }
  }

  @Test
  void a_claim_whose_fetch_kills_its_receiver_three_times_ends_receiver_lost_and_the_others_are_redeemed()
      throws Exception {
    DevPki pki = DevPki.generate(dir.resolve("pki"));
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP)));
    var slow = iso.state().createOutage("OUT-SLOW", "RESOURCE", "RECEIVED", 2048);
    var slowChange = iso.state().statusChange(slow);
    // The slow claim first: it is the oldest, so every receiver takes it before the others.
    try (TestReceiver ingest = TestReceiver.start(pki, db, Map.of());
        Publisher p = new Publisher(vertx, pki, ingest.url())) {
      assertThat(await(p.publish(slowChange)).statusCode()).isEqualTo(200);
      for (int i = 0; i < 3; i++) {
        var v = iso.state().createOutage("OUT-" + i, "RESOURCE", "RECEIVED", 2048);
        assertThat(await(p.publish(iso.state().statusChange(v))).statusCode()).isEqualTo(200);
      }
    }
    long slowId = TestDatabase.queryLong(db, "select id from claim where outage_mrid = 'OUT-SLOW'");
    iso.faults().slowWhenRequestContains(slowChange.claimCheck().token(), Duration.ofMinutes(10));

    for (int kill = 0; kill < 3; kill++) {
      var r = receiver(pki, kill + 1);
      int lostSoFar = kill;
      eventually("receiver " + (kill + 1) + " fetching the slow document", Duration.ofSeconds(120),
          () -> TestDatabase.count(db, "claim", "id = ? and fetch_started_at is not null and lost_fetches = ?", slowId,
              lostSoFar) == 1);
      r.kill();
    }
    assertThat(TestDatabase.count(db, "claim", "state = 'REDEEMED'")).as("nothing redeemed behind the slow claim")
        .isZero();

    var last = receiver(pki, 4);
    eventually("the slow claim set aside", Duration.ofSeconds(120),
        () -> TestDatabase.count(db, "claim", "id = ? and state = 'DEAD'", slowId) == 1);
    assertThat(TestDatabase.rows(db, "select dead_reason, lost_fetches from claim where id = ?", slowId).get(0))
        .containsEntry("dead_reason", "receiver_lost").containsEntry("lost_fetches", 3);
    eventually("the other claims redeemed", Duration.ofSeconds(60),
        () -> TestDatabase.count(db, "claim", "state = 'REDEEMED'") == 3);
    eventually("an ERROR line naming the claim", Duration.ofSeconds(10), () -> last.log().lines()
        .anyMatch(l -> l.contains("ERROR") && l.contains("claim " + slowId + " (outage OUT-SLOW")
            && l.contains("receiver_lost")));
    assertThat(iso.stats().totalViolations()).isZero();
  }
}
