package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.Participant;
import org.omspush.isosim.testing.Reply;
import org.omspush.isosim.testing.SharedPki;

class FaultInjectionTest {

  static final RetrieveService OUTAGE = RetrieveService.OUTAGE_BY_CLAIM_CHECK;
  static final RetrieveService CHANGES = RetrieveService.OUTAGE_CHANGES;

  static DevPki pki;
  static Vertx vertx;
  static IsoSim iso;
  static Participant participant;

  @BeforeAll
  static void start() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
    iso = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ZERO)));
    iso.state().createOutage("OMS-F", "RESOURCE", "RECEIVED");
    participant = new Participant(vertx, pki, pki.participantClient(), iso.baseUrl());
  }

  @AfterAll
  static void stop() {
    participant.close();
    Await.result(iso.close());
    Await.result(vertx.close());
  }

  @AfterEach
  void clearFaults() {
    iso.faults().clear();
  }

  static Reply retrieve() {
    return participant.call(OUTAGE.serviceName(), Participant.byMrid("OMS-F"));
  }

  static Reply changes() {
    return participant.call(CHANGES.serviceName(),
        Participant.changesSince("2020-01-01T00:00:00Z"));
  }

  @Test
  void next_calls_fail_with_503_and_a_server_fault_then_recover() {
    iso.faults().service(OUTAGE).failNext(2);

    Reply first = retrieve();
    Reply otherService = changes();
    Reply second = retrieve();
    Reply third = retrieve();

    assertThat(first.status()).isEqualTo(503);
    assertThat(first.faultCode()).isEqualTo("soap:Server");
    assertThat(first.eventResult()).isEqualTo("Failure");
    assertThat(first.eventDescription()).contains("retry later");
    assertThat(first.verifiedSigner(pki.isoCaBundleCertificates()))
        .isEqualTo(pki.isoServer().certificate());
    assertThat(otherService.status()).isEqualTo(200);
    assertThat(second.status()).isEqualTo(503);
    assertThat(third.status()).isEqualTo(200);
  }

  @Test
  void denied_call_gets_403_saying_the_certificate_has_no_access() {
    iso.faults().all().denyNext(1);

    Reply denied = changes();
    Reply next = changes();

    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.faultCode()).isEqualTo("soap:Client");
    assertThat(denied.eventDescription())
        .contains("certificate has no access to the service " + CHANGES.serviceName());
    assertThat(next.status()).isEqualTo(200);
  }

  @Test
  void corrupt_hash_is_the_hash_of_something_else() {
    iso.faults().service(OUTAGE).corruptHashNext(1);

    Reply corrupt = retrieve();
    Reply sound = retrieve();

    assertThat(corrupt.status()).isEqualTo(200);
    assertThat(corrupt.hashValue()).isNotEqualTo(corrupt.computedHash());
    assertThat(corrupt.attachedDocument()).isEqualTo(sound.attachedDocument());
    assertThat(sound.hashValue()).isEqualTo(sound.computedHash());
  }

  @Test
  void latency_delays_every_answer_until_cleared() {
    iso.faults().service(OUTAGE).latency(Duration.ofMillis(800));

    Reply slow = retrieve();
    iso.faults().clear();
    Reply fast = retrieve();

    assertThat(slow.status()).isEqualTo(200);
    assertThat(slow.latency()).isGreaterThanOrEqualTo(Duration.ofMillis(800));
    assertThat(fast.latency()).isLessThan(slow.latency());
  }

  @Test
  void a_request_naming_the_slow_document_waits_and_others_do_not() {
    iso.state().createOutage("OMS-SLOW", "RESOURCE", "RECEIVED");
    iso.faults().slowWhenRequestContains("OMS-SLOW", Duration.ofMillis(1500));

    Reply slow = participant.call(OUTAGE.serviceName(), Participant.byMrid("OMS-SLOW"));
    Reply other = retrieve();

    assertThat(slow.status()).isEqualTo(200);
    assertThat(slow.latency()).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.latency()).isLessThan(Duration.ofMillis(1500));
  }

  @Test
  void hung_call_gets_no_answer_and_the_client_times_out() {
    try (Participant impatient = new Participant(vertx, pki, pki.participantClient(),
        PushSigner.of(pki.participantClient()), iso.baseUrl(), Duration.ofMillis(1500))) {
      String service = OUTAGE.serviceName();
      Reply warmUp = Await.result(impatient.send(service,
          impatient.signed(service, Participant.byMrid("OMS-F"))));
      byte[] envelope = impatient.signed(service, Participant.byMrid("OMS-F"));
      iso.faults().all().hangNext(1);

      Throwable timeout = Await.failure(impatient.send(service, envelope), 10);
      Reply next = retrieve();

      assertThat(warmUp.status()).isEqualTo(200);
      assertThat(timeout).hasMessageContaining("timeout");
      assertThat(next.status()).isEqualTo(200);
    }
  }

  @Test
  void forced_aup_page_counts_as_a_violation() {
    iso.faults().service(OUTAGE).forceAupNext(1);
    long violationsBefore = iso.stats().totalViolations();

    Reply page = retrieve();
    Reply next = retrieve();

    assertThat(page.status()).isEqualTo(429);
    assertThat(page.contentType()).isEqualTo("text/html");
    assertThat(page.body()).contains("CAISO Acceptable Use Policy Violation");
    assertThat(next.status()).isEqualTo(200);
    assertThat(iso.stats().totalViolations()).isEqualTo(violationsBefore + 1);
  }
}
