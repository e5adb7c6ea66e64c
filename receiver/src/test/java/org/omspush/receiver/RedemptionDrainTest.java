package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/** The redemption worker when the receiver drains: a call in flight is finished, a lease held at the gate is given back. */
class RedemptionDrainTest {
  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  IsoSim iso;
  DatabaseUrl db;
  TestReceiver receiver;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir);
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
    if (receiver != null) {
      receiver.close();
    }
    await(iso.close());
  }

  private void startReceiver(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(RedemptionTest.isoEnvironment(pki, iso));
    env.putAll(extra);
    receiver = TestReceiver.start(pki, db, env);
  }

  private void push(OutageVersion v) {
    try (Publisher p = new Publisher(vertx, pki, receiver.url())) {
      PushResult r = await(p.publish(iso.state().statusChange(v)));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
  }

  private OutageVersion newOutage() {
    return iso.state().createOutage("OUT-" + UUID.randomUUID().toString().substring(0, 12), "RESOURCE", "RECEIVED",
        1024);
  }

  private static void eventually(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  private long claims(String where) {
    return TestDatabase.count(db, "claim", where);
  }

  @Test
  void a_claim_waiting_for_its_aup_gate_holds_no_lease_and_is_free_after_a_drain_without_an_attempt()
      throws Exception {
    // A minute between calls: the second claim waits for the gate when the drain starts. The
    // scheduler leases only claims whose gate is open, so the waiting claim holds no lease that
    // another replica would have to wait out.
    startReceiver(Map.of("OMS_AUP_INTERVAL", "60s"));
    push(newOutage());
    eventually("the first claim redeemed", Duration.ofSeconds(60), () -> claims("state = 'REDEEMED'") == 1);
    push(newOutage());
    eventually("the second claim due, its gate closed", Duration.ofSeconds(30),
        () -> claims("state = 'PENDING' AND next_attempt_at <= now()") == 1
            && TestDatabase.count(db, "aup_gate", "next_allowed_at > now() + interval '30 seconds'") == 1);
    Thread.sleep(500); // the scheduler has seen the push by now (a NOTIFY, then the lease it did not take)
    assertThat(claims("state = 'PENDING' AND lease_owner IS NULL")).as("waiting without a lease").isEqualTo(1);

    await(receiver.app.drain(Duration.ZERO, Duration.ofSeconds(20)));

    assertThat(claims("state = 'PENDING' AND lease_owner IS NULL AND lease_until IS NULL AND attempts = 0"))
        .as("the waiting claim is free for another replica at once, no attempt counted").isEqualTo(1);
    assertThat(iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, RetrieveService.OUTAGE_BY_CLAIM_CHECK))
        .as("no call for the second claim").isEqualTo(1);
    assertThat(iso.stats().totalViolations()).isZero();
  }

  @Test
  void a_retrieve_call_in_flight_is_finished_and_recorded() throws Exception {
    iso.faults().all().latency(Duration.ofSeconds(1));
    startReceiver(Map.of("OMS_RETRIEVE_TIMEOUT", "10s"));
    push(newOutage());
    eventually("the ISO received the call", Duration.ofSeconds(30),
        () -> iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, RetrieveService.OUTAGE_BY_CLAIM_CHECK) == 1);

    await(receiver.app.drain(Duration.ZERO, Duration.ofSeconds(20)));

    assertThat(claims("state = 'REDEEMED' AND lease_owner IS NULL")).as("redeemed by the call in flight").isEqualTo(1);
    assertThat(TestDatabase.count(db, "event", "type = 'outage.status-changed'")).isEqualTo(1);
  }
}
