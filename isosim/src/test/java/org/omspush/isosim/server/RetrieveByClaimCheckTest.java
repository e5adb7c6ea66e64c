package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.state.MarketEventEntry;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.Participant;
import org.omspush.isosim.testing.Reply;
import org.omspush.isosim.testing.SharedPki;

class RetrieveByClaimCheckTest {

  static final String OUTAGE = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();
  static final String MARKET = RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName();

  static DevPki pki;
  static Vertx vertx;
  static IsoSim iso;
  static Participant participant;

  @BeforeAll
  static void start() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
    iso = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ZERO)));
    participant = new Participant(vertx, pki, pki.participantClient(), iso.baseUrl());
  }

  @AfterAll
  static void stop() {
    participant.close();
    Await.result(iso.close());
    Await.result(vertx.close());
  }

  @Test
  void token_retrieves_the_gzipped_document_of_its_version_with_a_matching_hash() {
    OutageVersion v1 = iso.state().createOutage("OMS-TOKEN-1", "RESOURCE", "RECEIVED", 50_000);
    ClaimCheck check = iso.state().claimCheck(v1);
    iso.state().change("OMS-TOKEN-1", "APPROVED");

    Reply reply = participant.call(OUTAGE, Participant.byToken(check.token()));

    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    assertThat(reply.contentType()).isEqualTo("text/xml; charset=utf-8");
    assertThat(reply.attachmentValue()).doesNotContain("\n", "\r").isNotEmpty();
    assertThat(reply.hashValue()).isEqualTo(reply.computedHash());
    assertThat(reply.text(Reply.ATTACHMENT_INFO, "id")).isEqualTo("1");
    assertThat(reply.text(Reply.ATTACHMENT_INFO, "compressMethod")).isEqualTo("gzip");
    byte[] document = reply.attachedDocument();
    assertThat(document).hasSize(50_000);
    assertThat(new String(document, 0, 120, StandardCharsets.UTF_8))
        .contains("<OutageDocument xmlns=\"urn:omspush:v1\">");
    assertThat(reply.documentField("outageMRID")).isEqualTo("OMS-TOKEN-1");
    assertThat(reply.documentField("version")).isEqualTo("1");
    assertThat(reply.documentField("status")).isEqualTo("RECEIVED");
    assertThat(reply.documentField("lastModified")).isEqualTo(v1.lastModified().toString());
  }

  @Test
  void five_megabyte_document_is_served_whole() {
    OutageVersion big = iso.state().createOutage("OMS-BIG", "TRANSMISSION", "PENDING",
        5 * 1024 * 1024);

    Reply reply = participant.call(OUTAGE, Participant.byToken(
        iso.state().claimCheck(big).token()));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.hashValue()).isEqualTo(reply.computedHash());
    assertThat(reply.attachedDocument()).hasSize(5 * 1024 * 1024);
    assertThat(reply.documentField("outageType")).isEqualTo("TRANSMISSION");
  }

  @Test
  void outage_mrid_fallback_returns_the_newest_version() {
    iso.state().createOutage("OMS-NEWEST", "RESOURCE", "RECEIVED", 2048);
    iso.state().change("OMS-NEWEST", "SUBMITTED");
    iso.state().change("OMS-NEWEST", "APPROVED", 3000);

    Reply reply = participant.call(OUTAGE, Participant.byMrid("OMS-NEWEST"));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.documentField("version")).isEqualTo("3");
    assertThat(reply.documentField("status")).isEqualTo("APPROVED");
    assertThat(reply.attachedDocument()).hasSize(3000);
  }

  @Test
  void fallback_without_namespace_is_understood_too() {
    iso.state().createOutage("OMS-NONS", "RESOURCE", "RECEIVED");

    Reply reply = participant.call(OUTAGE,
        "<RetrieveByClaimCheck><outageMRID>OMS-NONS</outageMRID></RetrieveByClaimCheck>");

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.documentField("outageMRID")).isEqualTo("OMS-NONS");
  }

  @Test
  void expired_token_gets_a_failure_fault_naming_the_reason() {
    OutageVersion v1 = iso.state().createOutage("OMS-EXPIRED", "RESOURCE", "RECEIVED");
    ClaimCheck expired = iso.state().claimCheck(v1, Instant.now().minusSeconds(1));

    Reply reply = participant.call(OUTAGE, Participant.byToken(expired.token()));

    assertThat(reply.status()).isEqualTo(500);
    assertThat(reply.faultCode()).isEqualTo("soap:Client");
    assertThat(reply.eventResult()).isEqualTo("Failure");
    assertThat(reply.eventDescription()).startsWith("claim check token expired");
  }

  @Test
  void unknown_token_gets_a_failure_fault_naming_the_reason() {
    Reply reply = participant.call(OUTAGE, Participant.byToken("cc-never-issued"));

    assertThat(reply.status()).isEqualTo(500);
    assertThat(reply.faultCode()).isEqualTo("soap:Client");
    assertThat(reply.eventResult()).isEqualTo("Failure");
    assertThat(reply.eventDescription()).startsWith("unknown claim check token");
  }

  @Test
  void unknown_mrid_gets_a_failure_fault() {
    Reply reply = participant.call(OUTAGE, Participant.byMrid("OMS-NOPE"));

    assertThat(reply.status()).isEqualTo(500);
    assertThat(reply.eventDescription()).contains("unknown outage mRID 'OMS-NOPE'");
  }

  @Test
  void market_event_token_retrieves_its_document_and_event_id_is_the_fallback() {
    MarketEventEntry event = iso.state().addMarketEvent(new MarketEventEntry("EV-CLOSED-1",
        "MARKET_CLOSED", "DAM", LocalDate.parse("2026-11-22"),
        Instant.parse("2026-11-21T18:00:00Z"), null, 10_000));
    ClaimCheck check = iso.state().marketEventPush(event, true).claimCheck();

    Reply byToken = participant.call(MARKET, Participant.byToken(check.token()));
    Reply byId = participant.call(MARKET, Participant.byEventId("EV-CLOSED-1"));
    Reply outageTokenAtMarketService = participant.call(MARKET, Participant.byToken(
        iso.state().claimCheck(iso.state().createOutage("OMS-X", "RESOURCE", "RECEIVED"))
            .token()));

    assertThat(check.service()).isEqualTo(MARKET);
    assertThat(byToken.status()).isEqualTo(200);
    assertThat(byToken.hashValue()).isEqualTo(byToken.computedHash());
    assertThat(byToken.attachedDocument()).hasSize(10_000);
    assertThat(new String(byToken.attachedDocument(), StandardCharsets.UTF_8))
        .contains("<MarketEventDocument xmlns=\"urn:omspush:v1\">");
    assertThat(byToken.documentField("eventId")).isEqualTo("EV-CLOSED-1");
    assertThat(byToken.documentField("market")).isEqualTo("DAM");
    assertThat(byToken.documentField("tradeDate")).isEqualTo("2026-11-22");
    assertThat(byId.status()).isEqualTo(200);
    assertThat(byId.attachedDocument()).isEqualTo(byToken.attachedDocument());
    assertThat(outageTokenAtMarketService.eventDescription())
        .startsWith("unknown claim check token");
  }

  @Test
  void token_of_an_older_version_serves_the_newest_when_the_state_says_so() {
    OutageVersion v1 = iso.state().createOutage("OMS-NEWER", "RESOURCE", "RECEIVED");
    ClaimCheck check = iso.state().claimCheck(v1);
    iso.state().change("OMS-NEWER", "APPROVED");
    iso.state().serveNewestVersion(true);
    try {
      Reply reply = participant.call(OUTAGE, Participant.byToken(check.token()));

      assertThat(reply.documentField("version")).isEqualTo("2");
    } finally {
      iso.state().serveNewestVersion(false);
    }
  }

  @Test
  void answers_and_faults_are_signed_by_the_iso_server_certificate() {
    OutageVersion v1 = iso.state().createOutage("OMS-SIGNED", "RESOURCE", "RECEIVED");

    Reply document = participant.call(OUTAGE, Participant.byToken(
        iso.state().claimCheck(v1).token()));
    Reply fault = participant.call(OUTAGE, Participant.byToken("cc-unknown"));

    assertThat(document.verifiedSigner(pki.isoCaBundleCertificates()))
        .isEqualTo(pki.isoServer().certificate());
    assertThat(fault.verifiedSigner(pki.isoCaBundleCertificates()))
        .isEqualTo(pki.isoServer().certificate());
  }
}
