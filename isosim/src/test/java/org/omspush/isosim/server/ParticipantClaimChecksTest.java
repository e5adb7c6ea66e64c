package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
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

/** The stand-in ISO binds each claim check to the participant whose endpoint it pushed to. */
class ParticipantClaimChecksTest {
  static final String OUTAGE = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();
  static final String MARKET = RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName();
  static final String CHANGES = RetrieveService.OUTAGE_CHANGES.serviceName();

  static DevPki pki;
  static Vertx vertx;
  static IsoSim iso;
  static Participant a;
  static Participant b;

  @BeforeAll
  static void start() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
    iso = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ZERO)
        .participants(Map.of("SC_A", pki.participantClient().certificate(),
            "SC_B", pki.otherParticipantClient().certificate()))));
    a = new Participant(vertx, pki, pki.participantClient(), iso.baseUrl());
    b = new Participant(vertx, pki, pki.otherParticipantClient(), iso.baseUrl());
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    Await.result(iso.close());
    Await.result(vertx.close());
  }

  private static Instant tomorrow() {
    return Instant.now().plus(Duration.ofDays(1));
  }

  @Test
  void another_participants_certificate_gets_a_400_fault_counted_against_its_aup_and_the_owner_gets_the_document() {
    OutageVersion v1 = iso.state().createOutage("OMS-PART-1", "RESOURCE", "RECEIVED");
    ClaimCheck toA = iso.state().claimCheck("SC_A", v1, tomorrow());
    long callsOfB = iso.stats().calls(pki.otherParticipantClient().subject(), RetrieveService.OUTAGE_BY_CLAIM_CHECK);

    Reply refused = b.call(OUTAGE, Participant.byToken(toA.token()));
    Reply served = a.call(OUTAGE, Participant.byToken(toA.token()));

    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.faultCode()).isEqualTo("soap:Client");
    assertThat(refused.eventResult()).isEqualTo("Failure");
    assertThat(refused.eventDescription()).isEqualTo("claim check not issued to this participant");
    assertThat(iso.stats().calls(pki.otherParticipantClient().subject(), RetrieveService.OUTAGE_BY_CLAIM_CHECK))
        .as("the refused call counts against B's certificate").isEqualTo(callsOfB + 1);
    assertThat(served.status()).as(served.body()).isEqualTo(200);
    assertThat(served.documentField("outageMRID")).isEqualTo("OMS-PART-1");
  }

  @Test
  void a_market_event_claim_check_is_the_participants_too() {
    MarketEventEntry event = iso.state().addMarketEvent("EV-PART-1", "MARKET_CLOSED", "DAM",
        java.time.LocalDate.of(2026, 11, 21), Instant.now(), "DAM closed");
    ClaimCheck toB = iso.state().claimCheck("SC_B", event, tomorrow());

    Reply refused = a.call(MARKET, Participant.byToken(toB.token()));
    Reply served = b.call(MARKET, Participant.byToken(toB.token()));

    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.eventDescription()).isEqualTo("claim check not issued to this participant");
    assertThat(served.status()).as(served.body()).isEqualTo(200);
  }

  @Test
  void the_mrid_fallback_and_the_changes_show_a_participant_only_its_own_outages() {
    OutageVersion ofA = iso.state().createOutage("OMS-PART-OF-A", "RESOURCE", "RECEIVED");
    iso.state().statusChange("SC_A", ofA);

    Reply unknownToB = b.call(OUTAGE, Participant.byMrid("OMS-PART-OF-A"));
    Reply knownToA = a.call(OUTAGE, Participant.byMrid("OMS-PART-OF-A"));
    Reply changesOfB = b.call(CHANGES, Participant.changesSince("2000-01-01T00:00:00Z"));
    Reply changesOfA = a.call(CHANGES, Participant.changesSince("2000-01-01T00:00:00Z"));

    assertThat(unknownToB.status()).isEqualTo(500);
    assertThat(unknownToB.eventDescription()).contains("unknown outage mRID 'OMS-PART-OF-A'");
    assertThat(knownToA.status()).as(knownToA.body()).isEqualTo(200);
    assertThat(changesOfB.changes()).extracting(c -> Reply.field(c, "outageMRID")).doesNotContain("OMS-PART-OF-A");
    assertThat(changesOfA.changes()).extracting(c -> Reply.field(c, "outageMRID")).contains("OMS-PART-OF-A");
  }
}
