package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.Participant;
import org.omspush.isosim.testing.Reply;
import org.omspush.isosim.testing.SharedPki;
import org.w3c.dom.Element;

class RetrieveChangesTest {

  static final String CHANGES = RetrieveService.OUTAGE_CHANGES.serviceName();
  static final String OUTAGE = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();
  static final String LONG_AGO = "2020-01-01T00:00:00Z";

  static DevPki pki;
  static Vertx vertx;
  IsoSim iso;
  IsoState state;
  Participant participant;

  @BeforeAll
  static void setUp() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
  }

  @BeforeEach
  void start() {
    iso = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki)
        .aupInterval(Duration.ZERO).changesPageSize(3)));
    state = iso.state();
    participant = new Participant(vertx, pki, pki.participantClient(), iso.baseUrl());
  }

  @AfterEach
  void stop() {
    participant.close();
    Await.result(iso.close());
  }

  /** A, B, C, D, E at version 1, then B to 2, A to 2 and 3: newest order C D E B A. */
  void fiveOutagesWithChanges() {
    for (String mrid : List.of("A", "B", "C", "D", "E")) {
      state.createOutage(mrid, "RESOURCE", "RECEIVED");
    }
    state.change("B", "SUBMITTED");
    state.change("A", "SUBMITTED");
    state.change("A", "APPROVED");
  }

  static List<String> mridsAndVersions(Reply reply) {
    return reply.changes().stream()
        .map(change -> Reply.field(change, "outageMRID") + "v" + Reply.field(change, "version"))
        .toList();
  }

  @Test
  void pages_hold_the_newest_version_of_each_outage_oldest_first() {
    fiveOutagesWithChanges();

    Reply first = participant.call(CHANGES, Participant.changesSince(LONG_AGO));
    Reply second = participant.call(CHANGES,
        Participant.changesAt(first.text(Reply.NS, "cursor")));

    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(mridsAndVersions(first)).containsExactly("Cv1", "Dv1", "Ev1");
    assertThat(first.text(Reply.NS, "more")).isEqualTo("true");
    assertThat(mridsAndVersions(second)).containsExactly("Bv2", "Av3");
    assertThat(second.text(Reply.NS, "more")).isEqualTo("false");
    assertThat(second.verifiedSigner(pki.isoCaBundleCertificates()))
        .isEqualTo(pki.isoServer().certificate());
  }

  @Test
  void changes_have_the_push_shape_with_a_fresh_redeemable_claim_check() {
    fiveOutagesWithChanges();

    Reply page = participant.call(CHANGES,
        Participant.changesSince(state.outage("E").orElseThrow().lastModified().toString()));
    Element a = page.changes().get(1);
    Reply document = participant.call(OUTAGE, Participant.byToken(Reply.field(a, "token")));
    Reply firstVersions = participant.call(CHANGES, Participant.changesSince(LONG_AGO));

    Element root = (Element) page.document().getElementsByTagNameNS(Reply.NS, "OutageChanges")
        .item(0);
    assertThat(Reply.childNames(root)).containsExactly(
        "OutageStatusChange", "OutageStatusChange", "more", "cursor");
    assertThat(Reply.childNames(a)).containsExactly("outageMRID", "outageType", "version",
        "status", "previousStatus", "lastModified", "claimCheck");
    assertThat(Reply.field(a, "previousStatus")).isEqualTo("SUBMITTED");
    assertThat(Reply.field(a, "service")).isEqualTo(OUTAGE);
    assertThat(Instant.parse(Reply.field(a, "expires"))).isAfter(Instant.now());
    assertThat(Reply.childNames(firstVersions.changes().get(0))).containsExactly("outageMRID",
        "outageType", "version", "status", "lastModified", "claimCheck");
    assertThat(document.documentField("outageMRID")).isEqualTo("A");
    assertThat(document.documentField("version")).isEqualTo("3");
  }

  @Test
  void since_is_exclusive() {
    fiveOutagesWithChanges();
    OutageVersion c = state.outage("C").orElseThrow();

    Reply page = participant.call(CHANGES, Participant.changesSince(c.lastModified().toString()));

    assertThat(mridsAndVersions(page)).containsExactly("Dv1", "Ev1", "Bv2");
  }

  @Test
  void cursor_of_the_last_page_finds_later_changes_only() {
    fiveOutagesWithChanges();
    Reply first = participant.call(CHANGES, Participant.changesSince(LONG_AGO));
    Reply last = participant.call(CHANGES, Participant.changesAt(first.text(Reply.NS, "cursor")));

    Reply empty = participant.call(CHANGES, Participant.changesAt(last.text(Reply.NS, "cursor")));
    state.change("C", "APPROVED");
    Reply later = participant.call(CHANGES, Participant.changesAt(empty.text(Reply.NS, "cursor")));

    assertThat(empty.changes()).isEmpty();
    assertThat(empty.text(Reply.NS, "more")).isEqualTo("false");
    assertThat(mridsAndVersions(later)).containsExactly("Cv2");
  }

  @Test
  void unreadable_since_or_cursor_is_refused_as_malformed() {
    Reply since = participant.call(CHANGES, Participant.changesSince("yesterday"));
    Reply cursor = participant.call(CHANGES, Participant.changesAt("not-a-cursor"));
    Reply neither = participant.call(CHANGES, "<RetrieveChanges xmlns=\"urn:omspush:v1\"/>");

    assertThat(since.status()).isEqualTo(400);
    assertThat(since.eventDescription()).contains("since");
    assertThat(cursor.status()).isEqualTo(400);
    assertThat(cursor.eventDescription()).contains("cursor");
    assertThat(neither.status()).isEqualTo(400);
  }
}
