package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.Participant;
import org.omspush.isosim.testing.Reply;
import org.omspush.isosim.testing.SharedPki;

/**
 * The AUP. Calls that must fall within the window use the real 5 s interval; calls that must
 * fall after it use a short one, timed from the arrivals the simulator recorded.
 */
class AupTest {

  static final Duration REAL_INTERVAL = Duration.ofSeconds(5);
  static final Duration SHORT_INTERVAL = Duration.ofMillis(1200);
  static final String AUP_PAGE = "<html><body><p>CAISO Acceptable Use Policy Violation. "
      + "Please retry your request after 5 seconds.</p></body></html>";
  static final RetrieveService OUTAGE = RetrieveService.OUTAGE_BY_CLAIM_CHECK;
  static final RetrieveService MARKET = RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK;
  static final RetrieveService CHANGES = RetrieveService.OUTAGE_CHANGES;

  static DevPki pki;
  static Vertx vertx;
  IsoSim iso;
  Participant acme;
  Participant other;

  @BeforeAll
  static void setUp() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
  }

  void start(IsoSimOptions options) {
    iso = Await.result(IsoSim.start(vertx, options));
    iso.state().createOutage("OMS-AUP", "RESOURCE", "RECEIVED");
    acme = new Participant(vertx, pki, pki.participantClient(), iso.baseUrl());
    other = new Participant(vertx, pki, pki.otherParticipantClient(), iso.baseUrl());
  }

  @AfterEach
  void stop() {
    acme.close();
    other.close();
    Await.result(iso.close());
  }

  Reply retrieve(Participant participant) {
    return participant.call(OUTAGE.serviceName(), Participant.byMrid("OMS-AUP"));
  }

  /** Sends a request signed beforehand, so that it arrives right away. */
  Reply retrievePresigned(byte[] envelope) {
    return Await.result(acme.send(OUTAGE.serviceName(), envelope));
  }

  byte[] presigned() {
    return acme.signed(OUTAGE.serviceName(), Participant.byMrid("OMS-AUP"));
  }

  /** When the n-th call (0-based) arrived, on the simulator's monotonic clock. */
  long arrival(int n) {
    return iso.calls().get(n).arrivalNanos();
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  @Test
  void second_call_within_the_interval_gets_the_exact_aup_page_with_429() {
    start(IsoSimOptions.of(pki).aupInterval(REAL_INTERVAL));

    Reply first = retrieve(acme);
    Reply second = retrieve(acme);

    assertThat(first.status()).isEqualTo(200);
    assertThat(second.status()).isEqualTo(429);
    assertThat(second.contentType()).isEqualTo("text/html");
    assertThat(second.body()).isEqualTo(AUP_PAGE);
    assertThat(second.headers().contains("Retry-After")).isFalse();
    IsoStats stats = iso.stats();
    assertThat(stats.calls(pki.participantClient().subject(), OUTAGE)).isEqualTo(2);
    assertThat(stats.violations(pki.participantClient().subject(), OUTAGE)).isEqualTo(1);
    assertThat(stats.totalViolations()).isEqualTo(1);
  }

  @Test
  void aup_page_comes_with_200_when_configured_so() {
    start(IsoSimOptions.of(pki).aupInterval(REAL_INTERVAL).aupStatus(200));

    retrieve(acme);
    Reply second = retrieve(acme);

    assertThat(second.status()).isEqualTo(200);
    assertThat(second.contentType()).isEqualTo("text/html");
    assertThat(second.body()).isEqualTo(AUP_PAGE);
    assertThat(iso.stats().violations(pki.participantClient().subject(), OUTAGE)).isEqualTo(1);
  }

  @Test
  void call_after_the_interval_is_accepted() throws Exception {
    start(IsoSimOptions.of(pki).aupInterval(SHORT_INTERVAL));
    byte[] second = presigned();

    Reply first = retrieve(acme);
    sleepUntil(arrival(0) + SHORT_INTERVAL.toNanos() + 50_000_000);
    Reply again = retrievePresigned(second);

    assertThat(first.status()).isEqualTo(200);
    assertThat(again.status()).as(again.body()).isEqualTo(200);
    assertThat(iso.stats().violations(pki.participantClient().subject(), OUTAGE)).isZero();
  }

  @Test
  void refused_calls_do_not_restart_the_window() throws Exception {
    start(IsoSimOptions.of(pki).aupInterval(SHORT_INTERVAL));
    long interval = SHORT_INTERVAL.toNanos();
    byte[] second = presigned();
    byte[] third = presigned();

    Reply accepted = retrieve(acme);
    sleepUntil(arrival(0) + interval / 2);
    Reply refused = retrievePresigned(second);
    sleepUntil(arrival(0) + interval + 50_000_000);
    Reply acceptedAgain = retrievePresigned(third);

    assertThat(arrival(1) - arrival(0)).as("the refused call fell within the window")
        .isLessThan(interval);
    assertThat(arrival(2) - arrival(1))
        .as("the third call would be refused had the refused one restarted the window")
        .isLessThan(interval);
    assertThat(accepted.status()).isEqualTo(200);
    assertThat(refused.status()).isEqualTo(429);
    assertThat(acceptedAgain.status()).as(acceptedAgain.body()).isEqualTo(200);
  }

  @Test
  void services_and_certificates_have_separate_windows() {
    start(IsoSimOptions.of(pki).aupInterval(REAL_INTERVAL));

    Reply outage = retrieve(acme);
    Reply market = acme.call(MARKET.serviceName(), Participant.byEventId("EV-NONE"));
    Reply changes = acme.call(CHANGES.serviceName(),
        Participant.changesSince("2020-01-01T00:00:00Z"));
    Reply otherOutage = retrieve(other);
    Reply acmeAgain = retrieve(acme);

    assertThat(outage.status()).isEqualTo(200);
    assertThat(market.eventDescription()).contains("unknown market event"); // not the AUP page
    assertThat(changes.status()).isEqualTo(200);
    assertThat(otherOutage.status()).isEqualTo(200);
    assertThat(acmeAgain.status()).isEqualTo(429);
    IsoStats stats = iso.stats();
    assertThat(stats.violations(pki.otherParticipantClient().subject(), OUTAGE)).isZero();
    assertThat(stats.calls(pki.participantClient().subject(), MARKET)).isEqualTo(1);
    assertThat(stats.totalCalls()).isEqualTo(5);
    assertThat(stats.totalViolations()).isEqualTo(1);
  }

  @Test
  void malformed_and_unsigned_calls_count_against_the_aup() {
    start(IsoSimOptions.of(pki).aupInterval(REAL_INTERVAL));

    Reply garbage = Await.result(acme.send(OUTAGE.serviceName(), "not xml".getBytes()));
    Reply get = Await.result(acme.send(HttpMethod.GET, OUTAGE.path(), Map.of(), null));
    Reply valid = retrieve(acme);

    assertThat(garbage.status()).isEqualTo(400);
    assertThat(get.status()).isEqualTo(429);
    assertThat(valid.status()).isEqualTo(429);
    assertThat(iso.stats().calls(pki.participantClient().subject(), OUTAGE)).isEqualTo(3);
    assertThat(iso.stats().violations(pki.participantClient().subject(), OUTAGE)).isEqualTo(2);
  }

  @Test
  void stats_endpoint_reports_calls_and_violations_per_identity_and_service() {
    start(IsoSimOptions.of(pki).aupInterval(REAL_INTERVAL));
    retrieve(acme);
    retrieve(acme);
    retrieve(other);

    Reply reply = Await.result(acme.send(HttpMethod.GET, "/isosim/stats", Map.of(), null));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.contentType()).isEqualTo("application/json");
    JsonObject stats = new JsonObject(reply.body());
    assertThat(stats.getLong("totalCalls")).isEqualTo(3);
    assertThat(stats.getLong("totalViolations")).isEqualTo(1);
    assertThat(stats.getJsonArray("entries")).hasSize(2);
    JsonObject acmeEntry = stats.getJsonArray("entries").stream().map(JsonObject.class::cast)
        .filter(entry -> entry.getString("identity").equals(
            pki.participantClient().subject().getName()))
        .findFirst().orElseThrow();
    assertThat(acmeEntry.getString("service")).isEqualTo(OUTAGE.serviceName());
    assertThat(acmeEntry.getLong("calls")).isEqualTo(2);
    assertThat(acmeEntry.getLong("violations")).isEqualTo(1);
    assertThat(acmeEntry.getLong("accepted")).isEqualTo(1);
  }
}
