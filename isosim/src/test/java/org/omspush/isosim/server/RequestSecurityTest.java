package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.Participant;
import org.omspush.isosim.testing.Reply;
import org.omspush.isosim.testing.SharedPki;

/** What the ISO refuses before serving anything, and that its refusals are signed too. */
class RequestSecurityTest {

  static final String OUTAGE = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();
  static final String BODY = Participant.byMrid("OMS-SEC");

  static DevPki pki;
  static Vertx vertx;
  static IsoSim iso;
  static Participant participant;
  static PushSigner acmeSigner;

  @BeforeAll
  static void start() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
    iso = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ZERO)));
    iso.state().createOutage("OMS-SEC", "RESOURCE", "RECEIVED");
    participant = new Participant(vertx, pki, pki.participantClient(), iso.baseUrl());
    acmeSigner = PushSigner.of(pki.participantClient());
  }

  @AfterAll
  static void stop() {
    participant.close();
    Await.result(iso.close());
    Await.result(vertx.close());
  }

  static PushMessage.Builder request() {
    return PushMessage.rawBody(OUTAGE, BODY);
  }

  Reply send(byte[] envelope) {
    return Await.result(participant.send(OUTAGE, envelope));
  }

  static void assertRefused(Reply reply, int status, String description) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    assertThat(reply.faultCode()).isEqualTo("soap:Client");
    assertThat(reply.eventResult()).isEqualTo("Failure");
    assertThat(reply.eventDescription()).contains(description);
    assertThat(reply.verifiedSigner(pki.isoCaBundleCertificates()))
        .isEqualTo(pki.isoServer().certificate());
  }

  @Test
  void signed_request_is_served_with_either_signature_suite() {
    Reply sha256 = send(acmeSigner.sign(request().build(), Algorithm.RSA_SHA256));
    Reply sha1 = send(acmeSigner.sign(request().build(), Algorithm.RSA_SHA1));

    assertThat(sha256.status()).as(sha256.body()).isEqualTo(200);
    assertThat(sha1.status()).as(sha1.body()).isEqualTo(200);
  }

  @Test
  void unsigned_request_is_refused_with_403() {
    assertRefused(send(acmeSigner.unsigned(request().build())), 403, "not signed");
  }

  @Test
  void request_signed_by_another_certificate_than_the_tls_one_is_refused_with_403() {
    PushSigner otherSigner = PushSigner.of(pki.otherParticipantClient());

    Reply reply = send(otherSigner.sign(request().build(), Algorithm.RSA_SHA256));

    assertRefused(reply, 403, "not by the TLS client certificate");
  }

  @Test
  void tampered_body_is_refused_with_403() {
    byte[] tampered = acmeSigner.signThenTamper(request().build(), Algorithm.RSA_SHA256,
        "outageMRID", "OMS-OTHER");

    assertRefused(send(tampered), 403, "did not verify");
  }

  @Test
  void signature_over_the_header_alone_is_refused_with_403() {
    byte[] headerOnly = acmeSigner.signHeaderOnly(request().build(), Algorithm.RSA_SHA256);

    assertRefused(send(headerOnly), 403, "must cover soap:Body and CAISOWSHeader");
  }

  @Test
  void username_naming_someone_else_is_refused_with_403() {
    byte[] envelope = acmeSigner.sign(request()
        .username(pki.otherParticipantClient().subject().getName()).build(), Algorithm.RSA_SHA256);

    assertRefused(send(envelope), 403, "does not name the signing certificate");
  }

  @Test
  void username_in_another_rdn_spacing_still_names_the_signer() {
    String spaced = pki.participantClient().subject().getName().replace(",", ", ");

    Reply reply = send(acmeSigner.sign(request().username(spaced).build(), Algorithm.RSA_SHA256));

    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
  }

  @Test
  void expired_request_is_refused() {
    Instant past = Instant.now().minus(Duration.ofMinutes(30));
    byte[] envelope = acmeSigner.sign(request().created(past)
        .expires(past.plus(Duration.ofMinutes(15))).build(), Algorithm.RSA_SHA256);

    assertRefused(send(envelope), 400, "expired");
  }

  @Test
  void dtd_is_refused_with_400() {
    String signed = new String(acmeSigner.sign(request().build(), Algorithm.RSA_SHA256),
        StandardCharsets.UTF_8);
    String withDtd = signed.replaceFirst("\\?>", "?><!DOCTYPE foo [<!ENTITY x \"y\">]>");

    assertRefused(send(withDtd.getBytes(StandardCharsets.UTF_8)), 400, "DTD");
  }

  @Test
  void wrong_method_content_type_and_action_are_refused() {
    byte[] envelope = acmeSigner.sign(request().build(), Algorithm.RSA_SHA256);

    Reply get = Await.result(participant.send(HttpMethod.GET, "/sst/oms/" + OUTAGE, Map.of(),
        null));
    Reply json = Await.result(participant.send(HttpMethod.POST, "/sst/oms/" + OUTAGE,
        Map.of("Content-Type", "application/json", "SOAPAction", OUTAGE), envelope));
    Reply wrongAction = Await.result(participant.send(HttpMethod.POST, "/sst/oms/" + OUTAGE,
        Map.of("Content-Type", "text/xml", "SOAPAction", "\"RetrieveOutageChanges_OMSv1_AP\""),
        envelope));
    Reply bareAction = Await.result(participant.send(HttpMethod.POST, "/sst/oms/" + OUTAGE,
        Map.of("Content-Type", "text/xml", "SOAPAction", OUTAGE), envelope));
    Reply unknownService = Await.result(participant.send(HttpMethod.POST, "/sst/oms/Nope_v1",
        Map.of("Content-Type", "text/xml", "SOAPAction", "Nope_v1"), envelope));

    assertRefused(get, 405, "Only POST");
    assertRefused(json, 415, "text/xml");
    assertRefused(wrongAction, 500, "SOAPAction");
    assertThat(bareAction.status()).isEqualTo(200);
    assertRefused(unknownService, 500, "no service Nope_v1");
  }
}
