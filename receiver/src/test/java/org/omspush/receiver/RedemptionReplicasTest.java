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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.scenario.Scenario;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/** Several receivers, each in its own JVM, on one database and one ISO: the AUP holds across them. */
class RedemptionReplicasTest {
  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  IsoSim iso;
  DatabaseUrl db;
  final List<ReceiverProcesses.ReceiverProcess> replicas = new ArrayList<>();

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir.resolve("pki"));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() {
    await(vertx.close());
  }

  @BeforeEach
  void start() {
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP)));
    db = TestDatabase.fresh();
  }

  @AfterEach
  void stop() throws Exception {
    for (var r : replicas) {
      r.kill();
    }
    await(iso.close());
  }

  private ReceiverProcesses.ReceiverProcess replica(String name, Map<String, String> extra) throws Exception {
    Map<String, String> env = DevEnvironment.of(pki);
    env.putAll(RedemptionTest.isoEnvironment(pki, iso));
    env.put("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db));
    env.put("OMS_PUSH_PORT", String.valueOf(freeLoopbackPort()));
    env.put("OMS_OPS_PORT", String.valueOf(freeLoopbackPort()));
    // Four JVMs share two busy cores here: scheduling delays between taking the gate and the
    // request's arrival reach ~200 ms, so the margin is wider than the production default.
    env.put("OMS_AUP_MARGIN", "400ms");
    env.putAll(extra);
    var r = ReceiverProcesses.ReceiverProcess.start(name, env, dir.resolve(name + ".log"),
        Integer.parseInt(env.get("OMS_PUSH_PORT")), Integer.parseInt(env.get("OMS_OPS_PORT")));
    replicas.add(r);
    return r;
  }

  private static void eventually(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(200);
    }
  }

  /** Each refused call with the gap since the previous call of its service. */
  private String violationsReport() {
    StringBuilder b = new StringBuilder();
    var calls = iso.calls();
    for (int i = 0; i < calls.size(); i++) {
      var c = calls.get(i);
      if (!c.accepted()) {
        long previous = -1;
        for (int j = i - 1; j >= 0; j--) {
          if (calls.get(j).service() == c.service()) {
            previous = calls.get(j).arrivalNanos();
            break;
          }
        }
        b.append("\n").append(c.service()).append(" refused at ").append(c.arrivedAt()).append(", ")
            .append(previous < 0 ? "first" : (c.arrivalNanos() - previous) / 1_000_000 + " ms after the previous call");
      }
    }
    return b.toString();
  }

  private String logs() {
    StringBuilder b = new StringBuilder();
    for (var r : replicas) {
      b.append("\n--- ").append(r.name).append(" ---\n").append(r.log());
    }
    return b.toString();
  }

  @Test
  void three_workers_in_three_jvms_redeem_200_claims_across_two_services_without_an_aup_violation()
      throws Exception {
    for (int i = 1; i <= 3; i++) {
      replica("replica-" + i, Map.of());
    }
    for (var r : replicas) {
      r.awaitReady();
    }
    Scenario scenario = Scenario.builder().outages(100).changesPerOutage(1).marketEvents(100)
        .attempts(5, Duration.ofSeconds(1))
        .marketEventsWithClaimCheck(100).concurrency(8).seed(3).build();
    // All pushes reach one replica; all three redeem.
    try (Publisher p = new Publisher(vertx, pki, replicas.get(0).pushUrl())) {
      var result = await(scenario.run(vertx, iso.state(), p));
      assertThat(result.allAccepted()).as("pushes accepted: %s", result.refused()).isTrue();
    }
    eventually("200 claims redeemed", Duration.ofMinutes(3),
        () -> TestDatabase.count(db, "claim", "state = 'REDEEMED'") == 200);
    assertThat(iso.stats().totalViolations()).as("AUP violations: %s", violationsReport()).isZero();
    assertThat(iso.stats().accepted(DevPki.PARTICIPANT_CLIENT_DN, RetrieveService.OUTAGE_BY_CLAIM_CHECK))
        .isEqualTo(100);
    assertThat(iso.stats().accepted(DevPki.PARTICIPANT_CLIENT_DN, RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK))
        .isEqualTo(100);
    assertThat(TestDatabase.count(db, "event")).isEqualTo(200);
    assertThat(TestDatabase.count(db, "claim", "lease_owner is not null")).as("leases left held").isZero();
    // Each replica called the ISO: the gate, not a leader, shares the work.
    for (var r : replicas) {
      assertThat(r.log()).as(r.name + " redeemed claims").contains("redeemed (");
    }
  }

  @Test
  void claim_of_a_worker_killed_mid_retrieve_is_finished_by_another_after_its_lease() throws Exception {
    Map<String, String> shortLease = Map.of("OMS_CLAIM_LEASE", "3s");
    var first = replica("replica-1", shortLease);
    first.awaitReady();
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).latency(Duration.ofSeconds(30));
    var outage = iso.state().createOutage("OUT-KILL-1", "RESOURCE", "RECEIVED", 2048);
    try (Publisher p = new Publisher(vertx, pki, first.pushUrl())) {
      assertThat(await(p.publish(iso.state().statusChange(outage))).statusCode()).isEqualTo(200);
    }
    eventually("the first worker is in its retrieve call", Duration.ofSeconds(30),
        () -> iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, RetrieveService.OUTAGE_BY_CLAIM_CHECK) == 1);
    first.kill();
    iso.faults().clear();
    var second = replica("replica-2", shortLease);
    second.awaitReady();
    eventually("the claim redeemed by the second worker", Duration.ofSeconds(60),
        () -> TestDatabase.count(db, "claim", "state = 'REDEEMED'") == 1);
    assertThat(TestDatabase.count(db, "event")).isEqualTo(1);
    assertThat(iso.stats().totalViolations()).as("logs: %s", logs()).isZero();
  }
}
