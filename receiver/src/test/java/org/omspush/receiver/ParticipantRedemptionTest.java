package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.IsoStats;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.receiver.participants.ParticipantDirectory;
import org.omspush.receiver.tls.TestCertificates;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/**
 * Redemption per participant (iso-interface.md, "Several participants in one deployment"): each
 * claim with its own participant's certificate, under that certificate's gate, against a stand-in
 * ISO that knows the participants and refuses another participant's certificate.
 */
class ParticipantRedemptionTest {
  private static final RetrieveService OUTAGES = RetrieveService.OUTAGE_BY_CLAIM_CHECK;
  static final Duration AUP = RedemptionTest.AUP;

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  static final Map<String, TestCertificates.Leaf> certs = new HashMap<>();
  static TestCertificates.Leaf renewedA;
  static int testNumber;

  IsoSim iso;
  DatabaseUrl db;
  ParticipantDirectory participants;
  final List<TestReceiver> replicas = new ArrayList<>();

  @BeforeAll
  static void pki() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    vertx = Vertx.vertx();
    for (String key : List.of("SC_A", "SC_B", "SC_C")) {
      certs.put(key, leaf("CN=" + key + ",O=Test SC"));
    }
    renewedA = leaf("CN=SC_A renewed,O=Test SC");
  }

  private static TestCertificates.Leaf leaf(String dn) throws Exception {
    return TestCertificates.issue(pki.isoIssuingCa(), new X500Principal(dn),
        Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)),
        KeyPurposeId.id_kp_clientAuth);
  }

  @AfterAll
  static void closeVertx() {
    await(vertx.close());
  }

  @AfterEach
  void stop() throws Exception {
    for (TestReceiver r : replicas) {
      r.close();
    }
    if (iso != null) {
      await(iso.close());
    }
  }

  /** The stand-in ISO with every participant registered (default is the dev PKI's participant certificate). */
  private void start(List<String> inDirectory) throws Exception {
    Map<String, java.security.cert.X509Certificate> registered = new HashMap<>();
    registered.put("default", pki.participantClient().certificate());
    certs.forEach((k, leaf) -> registered.put(k, leaf.certificate()));
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(AUP).participants(registered)));
    db = TestDatabase.fresh();
    participants = new ParticipantDirectory(dir.resolve("participants-" + (++testNumber)));
    for (String key : inDirectory) {
      participants.put(key, certs.get(key));
    }
  }

  private TestReceiver replica(Map<String, String> extra) {
    Map<String, String> env = RedemptionTest.isoEnvironment(pki, iso);
    env.put("OMS_PARTICIPANTS_DIR", participants.path().toString());
    env.put("OMS_TLS_RELOAD_INTERVAL", "200ms");
    // Several receivers share two busy cores here: a wider margin, as RedemptionReplicasTest.
    env.put("OMS_AUP_MARGIN", "400ms");
    env.putAll(extra);
    TestReceiver r = TestReceiver.start(pki, db, env);
    replicas.add(r);
    return r;
  }

  private static String dn(String participant) {
    return "default".equals(participant) ? DevPki.PARTICIPANT_CLIENT_DN.getName()
        : certs.get(participant).certificate().getSubjectX500Principal().getName();
  }

  private static X500Principal principal(String participant) {
    return new X500Principal(dn(participant));
  }

  /** Pushes a new outage to the participant's endpoint, with a claim check the ISO issued to that participant. */
  private Future<PushResult> pushOutage(Publisher p, String participant, String mrid) {
    var outage = iso.state().createOutage(mrid, "RESOURCE", "RECEIVED");
    return p.publish(iso.state().statusChange(participant, outage));
  }

  private Publisher publisher(TestReceiver r, String participant) {
    return new Publisher(vertx, pki, r.url() + ("default".equals(participant) ? "" : "/" + participant));
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

  /** Each refused call with the gap since the previous call of its certificate and service. */
  private String violations() {
    StringBuilder b = new StringBuilder();
    List<IsoStats.Call> calls = iso.calls();
    for (int i = 0; i < calls.size(); i++) {
      IsoStats.Call c = calls.get(i);
      if (!c.accepted()) {
        long previous = -1;
        for (int j = i - 1; j >= 0; j--) {
          if (calls.get(j).service() == c.service() && calls.get(j).identity().equals(c.identity())) {
            previous = calls.get(j).arrivalNanos();
            break;
          }
        }
        b.append("\n").append(c.identity()).append(' ').append(c.service()).append(": ")
            .append(previous < 0 ? "first" : (c.arrivalNanos() - previous) / 1_000_000 + " ms after the previous");
        calls.stream().filter(o -> o.identity().equals(c.identity()) && o.service() == c.service())
            .forEach(o -> b.append("\n  ").append(o.arrivedAt()).append(o.accepted() ? "" : " refused"));
      }
    }
    return b.toString();
  }

  private long redeemed(String participant) {
    return TestDatabase.count(db, "claim", "state = 'REDEEMED' and participant = ?", participant);
  }

  @ParameterizedTest(name = "{0} replicas")
  @ValueSource(ints = {1, 3})
  void claims_of_three_participants_pushed_at_once_are_each_redeemed_with_their_own_certificate(int replicaCount)
      throws Exception {
    start(List.of("SC_A", "SC_B"));
    for (int i = 0; i < replicaCount; i++) {
      // Three receivers, the stand-in and the pushes in one JVM on two busy cores: from a gate taken to
      // its request's arrival took up to ~0.9 s here, beyond the 400 ms of the other tests.
      replica(replicaCount > 1 ? Map.of("OMS_AUP_MARGIN", "1500ms") : Map.of());
    }
    List<String> keys = List.of("default", "SC_A", "SC_B");
    int perParticipant = 6;
    List<Future<PushResult>> pushes = new ArrayList<>();
    List<Publisher> publishers = new ArrayList<>();
    for (int i = 0; i < perParticipant; i++) {
      for (String key : keys) {
        // Each participant's pushes reach another replica: any replica redeems any participant's claims.
        TestReceiver to = replicas.get((i + keys.indexOf(key)) % replicas.size());
        Publisher p = publisher(to, key);
        publishers.add(p);
        pushes.add(pushOutage(p, key, "OUT-" + key + "-" + i));
      }
    }
    for (Future<PushResult> f : pushes) {
      assertThat(await(f).statusCode()).isEqualTo(200);
    }
    eventually("every claim redeemed", Duration.ofSeconds(90),
        () -> TestDatabase.count(db, "claim", "state = 'REDEEMED'") == keys.size() * perParticipant);
    publishers.forEach(Publisher::close);

    IsoStats stats = iso.stats();
    for (String key : keys) {
      assertThat(redeemed(key)).as(key).isEqualTo(perParticipant);
      assertThat(stats.accepted(principal(key), OUTAGES)).as("calls with %s's certificate", key)
          .isEqualTo(perParticipant);
    }
    assertThat(stats.totalViolations()).as("AUP violations: %s", violations()).isZero();
    // A call with another participant's certificate is refused by the ISO: the claim would count an attempt.
    assertThat(TestDatabase.count(db, "claim", "attempts > 0 or transient_failures > 0 or last_error is not null"))
        .as("claims that saw a refusal or a failure").isZero();
    assertThat(TestDatabase.count(db, "event")).isEqualTo(keys.size() * perParticipant);
    assertThat(TestDatabase.count(db, "claim", "lease_owner is not null")).as("leases left held").isZero();
    if (replicaCount == 1) {
      String scrape = replicas.get(0).app.metrics().scrape();
      for (String key : keys) {
        assertThat(scrape).as("per-participant metrics of %s", key)
            .containsPattern("oms_retrieve_calls_total\\{[^}]*outcome=\"document\"[^}]*participant=\"" + key
                + "\"[^}]*\\} " + perParticipant + "\\.0")
            .containsPattern("oms_participant_gate_wait_seconds_count\\{[^}]*participant=\"" + key + "\"")
            .containsPattern("oms_participant_certificate_expiry_seconds\\{participant=\"" + key + "\"\\} [1-9]");
      }
    }
  }

  @Test
  void a_backlog_of_200_claims_of_one_participant_does_not_hold_back_another_participants_claim() throws Exception {
    start(List.of("SC_A", "SC_B"));
    TestReceiver r = replica(Map.of());
    long pushedB;
    try (Publisher a = publisher(r, "SC_A"); Publisher b = publisher(r, "SC_B")) {
      List<Future<PushResult>> backlog = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        backlog.add(pushOutage(a, "SC_A", "OUT-BACKLOG-" + i));
      }
      for (Future<PushResult> f : backlog) {
        assertThat(await(f).statusCode()).isEqualTo(200);
      }
      eventually("SC_A's backlog being redeemed", Duration.ofSeconds(30), () -> redeemed("SC_A") >= 2);
      pushedB = System.nanoTime();
      assertThat(await(pushOutage(b, "SC_B", "OUT-SINGLE")).statusCode()).isEqualTo(200);
      eventually("SC_B's claim redeemed", Duration.ofSeconds(30), () -> redeemed("SC_B") == 1);
    }
    // SC_B's claim did not queue behind SC_A's backlog: most of it still waits.
    assertThat(TestDatabase.count(db, "claim", "state = 'PENDING' and participant = 'SC_A'"))
        .as("SC_A's claims still pending when SC_B's was redeemed").isGreaterThan(150);
    // ... and it was called within SC_A's next gate intervals: SC_B's own gate was open.
    List<IsoStats.Call> calls = iso.calls().stream().filter(c -> c.service() == OUTAGES).toList();
    IsoStats.Call callB = calls.stream().filter(c -> c.identity().equals(dn("SC_B"))).findFirst().orElseThrow();
    long since = pushedB;
    long aCallsBetween = calls.stream().filter(c -> c.identity().equals(dn("SC_A")))
        .filter(c -> c.arrivalNanos() > since && c.arrivalNanos() < callB.arrivalNanos()).count();
    assertThat(aCallsBetween).as("SC_A's calls between SC_B's push and SC_B's call").isLessThanOrEqualTo(2);
    assertThat(iso.stats().totalViolations()).isZero();
  }

  @Test
  void a_participant_added_at_run_time_is_redeemed_and_one_removed_stops_until_it_returns() throws Exception {
    start(List.of("SC_A"));
    // A failed call backs off 5 s: time to remove the participant while its claim waits.
    TestReceiver r = replica(Map.of("OMS_RETRY_BASE", "5s", "OMS_RETRY_MAX", "5s"));

    participants.put("SC_C", certs.get("SC_C"));
    eventually("SC_C known", Duration.ofSeconds(10), () -> r.app.participants().isParticipant("SC_C"));
    try (Publisher c = publisher(r, "SC_C")) {
      assertThat(await(pushOutage(c, "SC_C", "OUT-C-1")).statusCode()).isEqualTo(200);
    }
    eventually("SC_C's claim redeemed", Duration.ofSeconds(20), () -> redeemed("SC_C") == 1);
    assertThat(iso.stats().accepted(principal("SC_C"), OUTAGES)).isEqualTo(1);

    iso.faults().service(OUTAGES).failNext(1);
    try (Publisher a = publisher(r, "SC_A")) {
      assertThat(await(pushOutage(a, "SC_A", "OUT-A-1")).statusCode()).isEqualTo(200);
    }
    eventually("SC_A's first call failed", Duration.ofSeconds(20),
        () -> TestDatabase.count(db, "claim", "participant = 'SC_A' and transient_failures = 1") == 1);
    participants.remove("SC_A");
    eventually("SC_A removed", Duration.ofSeconds(10), () -> !r.app.participants().isParticipant("SC_A"));
    long callsOfA = iso.stats().calls(principal("SC_A"), OUTAGES);
    eventually("SC_A's claim due again", Duration.ofSeconds(20),
        () -> TestDatabase.count(db, "claim", "participant = 'SC_A' and next_attempt_at < now()") == 1);
    // Another participant's claim pushed after it is redeemed: the scheduler ran past SC_A's claim.
    try (Publisher c = publisher(r, "SC_C")) {
      assertThat(await(pushOutage(c, "SC_C", "OUT-C-2")).statusCode()).isEqualTo(200);
    }
    eventually("SC_C's second claim redeemed", Duration.ofSeconds(20), () -> redeemed("SC_C") == 2);
    assertThat(TestDatabase.count(db, "claim", "participant = 'SC_A' and state = 'PENDING' and attempts = 0"))
        .as("SC_A's claim waits, PENDING, not counted").isEqualTo(1);
    assertThat(iso.stats().calls(principal("SC_A"), OUTAGES)).as("calls with SC_A's certificate after its removal")
        .isEqualTo(callsOfA);
    await(r.app.refreshStateGauges());
    assertThat(r.app.metrics().scrape()).as("the waiting claim shows")
        .containsPattern("oms_participant_claims_waiting\\{participant=\"SC_A\"\\} 1\\.0");

    participants.put("SC_A", certs.get("SC_A"));
    eventually("SC_A's claim redeemed once it is back", Duration.ofSeconds(20), () -> redeemed("SC_A") == 1);
    assertThat(iso.stats().calls(principal("SC_A"), OUTAGES)).as("the failed call and the one after the return")
        .isEqualTo(callsOfA + 1);
    assertThat(iso.stats().totalViolations()).isZero();
  }

  @Test
  void a_renewed_certificate_is_used_for_the_next_call_without_a_restart() throws Exception {
    start(List.of("SC_A"));
    TestReceiver r = replica(Map.of());
    try (Publisher a = publisher(r, "SC_A")) {
      assertThat(await(pushOutage(a, "SC_A", "OUT-R-1")).statusCode()).isEqualTo(200);
      eventually("the first claim redeemed", Duration.ofSeconds(20), () -> redeemed("SC_A") == 1);

      iso.options().participant("SC_A", renewedA.certificate());
      participants.put("SC_A", renewedA);
      eventually("the renewed certificate read", Duration.ofSeconds(10), () -> r.app.participants().identity("SC_A")
          .map(id -> id.certificate().equals(renewedA.certificate())).orElse(false));
      assertThat(await(pushOutage(a, "SC_A", "OUT-R-2")).statusCode()).isEqualTo(200);
      eventually("the second claim redeemed", Duration.ofSeconds(20), () -> redeemed("SC_A") == 2);
    }
    X500Principal renewed = renewedA.certificate().getSubjectX500Principal();
    assertThat(iso.stats().accepted(principal("SC_A"), OUTAGES)).as("calls with the first certificate").isEqualTo(1);
    assertThat(iso.stats().accepted(renewed, OUTAGES)).as("calls with the renewed certificate").isEqualTo(1);
    assertThat(TestDatabase.count(db, "claim", "attempts > 0")).isZero();
  }
}
