package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.store.testing.TestDatabase;

/** /metrics on the ops port after real pushes and a real redemption: every series the README lists, with its value. */
class MetricsTest {
  private static final String OUTAGE = PushMessage.OUTAGE_STATUS_CHANGE_ACTION;
  private static final String BY_CLAIM = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  IsoSim iso;
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

  @AfterEach
  void stop() throws Exception {
    if (receiver != null) {
      receiver.close();
    }
    if (iso != null) {
      await(iso.close());
    }
  }

  private String scrape() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + receiver.app.opsPort() + "/metrics")).timeout(Duration.ofSeconds(10))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** The value of the one series named {@code name} whose labels include every {@code label="value"} given. */
  private static double value(String scrape, String name, String... labels) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(scrape);
    Double found = null;
    while (m.find()) {
      String have = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (String l : labels) {
        all &= have.contains(l);
      }
      if (all) {
        assertThat(found).as("more than one series %s%s", name, String.join(",", labels)).isNull();
        found = Double.parseDouble(m.group(2));
      }
    }
    assertThat(found).as("series %s{%s} in%n%s", name, String.join(",", labels), scrape).isNotNull();
    return found;
  }

  private static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void after_a_push_and_its_redemption_the_series_have_plausible_values() throws Exception {
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP)));
    var db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, new HashMap<>(RedemptionTest.isoEnvironment(pki, iso)));
    OutageVersion v = iso.state().createOutage("OUT-" + UUID.randomUUID().toString().substring(0, 12), "RESOURCE",
        "RECEIVED", 2048);
    try (Publisher p = new Publisher(vertx, pki, receiver.url())) {
      PushResult r = await(p.publish(iso.state().statusChange(v)));
      assertThat(r.statusCode()).isEqualTo(200);
    }
    PushResult refused = receiver.push(OUTAGE, "<not-a-soap-envelope/>".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(refused.statusCode()).isNotEqualTo(200);
    eventually("the claim redeemed", () -> TestDatabase.count(db, "claim", "state = 'REDEEMED'") == 1);
    await(receiver.app.refreshStateGauges());
    String s = scrape();
    s.lines().filter(l -> l.startsWith("# TYPE oms_")).forEach(System.out::println);

    assertThat(value(s, "oms_push_requests_total", "action=\"" + OUTAGE + "\"", "outcome=\"stored\"")).isEqualTo(1);
    assertThat(s).as("the refused push counted under its fault code")
        .containsPattern("oms_push_requests_total\\{action=\"" + OUTAGE + "\",outcome=\"(?!stored)[a-z_]+\"\\} 1\\.0");
    assertThat(value(s, "oms_push_ack_latency_seconds_count")).as("acks only").isEqualTo(1);
    assertThat(value(s, "oms_push_ack_latency_seconds_sum")).isPositive();

    assertThat(value(s, "oms_claims", "state=\"REDEEMED\"")).isEqualTo(1);
    assertThat(value(s, "oms_claims", "state=\"PENDING\"")).isZero();
    assertThat(value(s, "oms_claims", "state=\"DEAD\"")).isZero();
    assertThat(value(s, "oms_claims_oldest_pending_age_seconds")).isZero();
    assertThat(value(s, "oms_deliveries", "state=\"PENDING\"")).isZero();
    assertThat(value(s, "oms_deliveries", "state=\"DEAD\"")).isZero();

    assertThat(value(s, "oms_retrieve_calls_total", "service=\"" + BY_CLAIM + "\"", "outcome=\"document\"")).isEqualTo(1);
    assertThat(value(s, "oms_retrieve_latency_seconds_count", "service=\"" + BY_CLAIM + "\"")).isEqualTo(1);
    assertThat(value(s, "oms_aup_gate_wait_seconds_count", "service=\"" + BY_CLAIM + "\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(s, "oms_aup_pages_total", "service=\"" + BY_CLAIM + "\"")).isZero();
    assertThat(value(s, "oms_claims_dead_total")).isZero();
    assertThat(value(s, "oms_fanout_dead_letters_total")).isZero();
    assertThat(value(s, "oms_fanout_queue_age_seconds")).isGreaterThanOrEqualTo(0);
  }

  @Test
  void a_claim_not_redeemed_shows_as_pending_with_its_age() throws Exception {
    var db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, Map.of()); // no ISO: the claim stays PENDING
    PushResult r = receiver.push(OUTAGE, org.omspush.isosim.push.PushSigner.of(pki.isoPushClient())
        .sign(PushLoad.newOutageChange(), org.omspush.isosim.push.PushSigner.Algorithm.RSA_SHA256));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Thread.sleep(300);
    await(receiver.app.refreshStateGauges());
    String s = scrape();
    assertThat(value(s, "oms_claims", "state=\"PENDING\"")).isEqualTo(1);
    assertThat(value(s, "oms_claims", "state=\"REDEEMED\"")).isZero();
    assertThat(value(s, "oms_claims_oldest_pending_age_seconds")).isGreaterThan(0.2).isLessThan(600);
  }
}
