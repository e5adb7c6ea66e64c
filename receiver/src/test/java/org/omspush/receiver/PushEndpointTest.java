package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.push.PushEndpoint;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;
import org.slf4j.LoggerFactory;

class PushEndpointTest {
  private static final String OUTAGE = PushMessage.OUTAGE_STATUS_CHANGE_ACTION;
  private static final String MARKET = PushMessage.MARKET_EVENT_ACTION;
  private static final String RETRIEVE = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";

  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static TestReceiver receiver;
  static PushSigner iso;

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, Map.of("OMS_MAX_BODY_BYTES", String.valueOf(2 * 1024 * 1024)));
    iso = PushSigner.of(pki.isoPushClient());
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
  }

  private static String mrid() {
    return "OUT-" + UUID.randomUUID().toString().substring(0, 18);
  }

  private static OutageStatusChange change(String mrid, long version) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return new OutageStatusChange(mrid, "RESOURCE", version, "APPROVED", version == 1 ? null : "RECEIVED", now,
        new ClaimCheck("tok-" + mrid + "-" + version, RETRIEVE, now.plus(1, ChronoUnit.DAYS)));
  }

  private static long stored(String messageId) {
    return TestDatabase.count(db, "inbound_message", "message_id = ?", messageId);
  }

  private static long claims(String mrid) {
    return TestDatabase.count(db, "claim", "outage_mrid = ?", mrid);
  }

  private static long totalMessages() {
    return TestDatabase.count(db, "inbound_message");
  }

  private static void assertFault(PushResult r, int status, String faultCode, String reason) {
    assertThat(r.statusCode()).as("HTTP status; body: %s", r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("text/xml");
    assertThat(r.body()).contains("<faultcode>" + faultCode + "</faultcode>")
        .contains("<faultstring>" + reason + ":")
        .contains("<result>Failure</result>")
        .contains("http://www.caiso.com/soa/2006-06-13/StandardOutput.xsd");
  }

  @Test
  void outage_change_is_stored_with_a_pending_claim_and_acknowledged() {
    String mrid = mrid();
    PushMessage m = PushMessage.outageStatusChange(change(mrid, 1)).build();
    PushResult r = receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("<result>Success</result>").contains("<creationTime>");
    assertThat(stored(m.messageId())).isEqualTo(1);
    var claim = TestDatabase.rows(db, "select state, token, service, version from claim where outage_mrid = ?", mrid);
    assertThat(claim).hasSize(1);
    assertThat(claim.get(0)).containsEntry("state", "PENDING").containsEntry("token", "tok-" + mrid + "-1")
        .containsEntry("service", RETRIEVE);
    var msg = TestDatabase.rows(db, "select action, client_dn from inbound_message where message_id = ?",
        m.messageId());
    assertThat(msg.get(0)).containsEntry("action", OUTAGE)
        .containsEntry("client_dn", pki.isoPushClient().subject().getName());
  }

  @Test
  void market_event_is_stored_ready_for_fanout() {
    var event = new MarketEvent("EV-" + UUID.randomUUID(), "MARKET_CLOSED", "DAM", LocalDate.now(), Instant.now(),
        "Day-ahead market closed", null);
    PushMessage m = PushMessage.marketEvent(event).build();
    PushResult r = receiver.push(MARKET, iso.sign(m, Algorithm.RSA_SHA256));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(TestDatabase.count(db, "market_event", "event_id = ? and fanout_state = 'READY'", event.eventId()))
        .isEqualTo(1);
  }

  @Test
  void sha1_signatures_of_the_isos_own_tools_are_accepted() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    assertThat(receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA1)).statusCode()).isEqualTo(200);
    assertThat(stored(m.messageId())).isEqualTo(1);
  }

  @Test
  void soap_action_is_accepted_quoted_and_bare() throws Exception {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    try (Pusher bare = receiver.pusher(PusherOptions.asIso(pki).quotedSoapAction(false))) {
      PushResult r = await(bare.push(receiver.url(), OUTAGE, iso.sign(m, Algorithm.RSA_SHA256)));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    assertThat(stored(m.messageId())).isEqualTo(1);
  }

  @Test
  void repeated_message_id_is_acknowledged_and_stored_once() {
    String mrid = mrid();
    PushMessage m = PushMessage.outageStatusChange(change(mrid, 1)).build();
    for (int i = 0; i < 3; i++) {
      // Each retry is re-signed with a fresh Timestamp and Nonce, as the ISO does.
      PushResult r = receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("<result>Success</result>");
    }
    assertThat(stored(m.messageId())).isEqualTo(1);
    assertThat(claims(mrid)).isEqualTo(1);
    assertThat(TestDatabase.queryLong(db, "select conflict_count from inbound_message where message_id = ?",
        m.messageId())).isZero();
  }

  @Test
  void repeated_message_id_with_another_body_keeps_the_first_and_counts_the_conflict() {
    String mrid = mrid();
    PushMessage first = PushMessage.outageStatusChange(change(mrid, 1)).build();
    PushMessage other = PushMessage.outageStatusChange(change(mrid, 2)).messageId(first.messageId()).build();
    assertThat(receiver.push(OUTAGE, iso.sign(first, Algorithm.RSA_SHA256)).statusCode()).isEqualTo(200);
    PushResult r = receiver.push(OUTAGE, iso.sign(other, Algorithm.RSA_SHA256));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("different body");
    assertThat(TestDatabase.rows(db, "select version from claim where outage_mrid = ?", mrid))
        .extracting(row -> ((Number) row.get("version")).longValue()).containsExactly(1L);
    assertThat(TestDatabase.queryLong(db, "select conflict_count from inbound_message where message_id = ?",
        first.messageId())).isEqualTo(1);
  }

  @Test
  void versions_3_5_4_of_one_outage_leave_only_5_pending() {
    String mrid = mrid();
    for (long v : new long[] {3, 5, 4}) {
      PushMessage m = PushMessage.outageStatusChange(change(mrid, v)).build();
      assertThat(receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256)).statusCode()).isEqualTo(200);
    }
    var rows = TestDatabase.rows(db, "select version, state from claim where outage_mrid = ? order by version", mrid);
    assertThat(rows).extracting(row -> ((Number) row.get("version")).longValue() + ":" + row.get("state"))
        .containsExactly("3:SUPERSEDED", "4:SUPERSEDED", "5:PENDING");
  }

  @Test
  void tampered_signed_body_is_refused_and_not_stored() {
    String mrid = mrid();
    PushMessage m = PushMessage.outageStatusChange(change(mrid, 1)).build();
    PushResult r = receiver.push(OUTAGE, iso.signThenTamper(m, Algorithm.RSA_SHA256, "status", "CANCELLED"));
    assertFault(r, 403, "soap:Client", "signature_invalid");
    assertThat(stored(m.messageId())).isZero();
    assertThat(claims(mrid)).isZero();
  }

  @Test
  void unsigned_push_is_refused_when_signatures_are_required() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    assertFault(receiver.push(OUTAGE, iso.unsigned(m)), 403, "soap:Client", "signature_missing");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void signature_over_the_header_alone_is_refused() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    assertFault(receiver.push(OUTAGE, iso.signHeaderOnly(m, Algorithm.RSA_SHA256)), 403, "soap:Client",
        "signature_invalid");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void push_signed_by_another_certificate_than_the_tls_client_is_refused() {
    PushSigner other = PushSigner.of(pki.otherParticipantClient());
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1))
        .username(pki.isoPushClient().subject().getName()).build();
    assertFault(receiver.push(OUTAGE, other.sign(m, Algorithm.RSA_SHA256)), 403, "soap:Client", "signer_mismatch");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void username_that_does_not_name_the_signer_is_refused() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1))
        .username("CN=someone-else,O=CAISO,C=US").build();
    assertFault(receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256)), 403, "soap:Client", "signer_mismatch");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void username_in_another_stacks_dn_spelling_is_accepted() {
    // Same name, other spacing and attribute case: compared as X.500 names.
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1))
        .username("cn=oms-push.caiso.com, ou=OMS, o=CAISO, c=US").build();
    PushResult r = receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void expired_timestamp_is_refused() {
    Instant past = Instant.now().minus(2, ChronoUnit.HOURS);
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).created(past)
        .expires(past.plus(15, ChronoUnit.MINUTES)).build();
    PushResult r = receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
    assertFault(r, 400, "soap:Client", "expired");
    assertThat(r.body()).contains("re-sign");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void timestamp_more_than_5_minutes_ahead_is_refused() {
    Instant future = Instant.now().plus(10, ChronoUnit.MINUTES);
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).created(future)
        .expires(future.plus(15, ChronoUnit.MINUTES)).build();
    assertFault(receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256)), 400, "soap:Client", "not_yet_valid");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void missing_caiso_header_is_refused() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).withoutCaisoHeader().build();
    assertFault(receiver.push(OUTAGE, iso.unsigned(m)), 400, "soap:Client", "missing_header");
  }

  @Test
  void mrid_over_40_characters_is_refused() {
    String mrid = "M".repeat(41);
    PushMessage m = PushMessage.outageStatusChange(change(mrid, 1)).build();
    PushResult r = receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
    assertFault(r, 400, "soap:Client", "invalid_body");
    assertThat(r.body()).contains("outageMRID").contains("40");
    assertThat(stored(m.messageId())).isZero();
    assertThat(claims(mrid)).isZero();
  }

  @Test
  void body_of_another_action_is_refused() {
    PushMessage m = PushMessage.rawBody(OUTAGE, "<MarketEvent xmlns=\"urn:omspush:v1\"><eventId>x</eventId></MarketEvent>")
        .build();
    assertFault(receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256)), 400, "soap:Client", "invalid_body");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void unknown_soap_action_is_refused_with_500() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    PushResult r = receiver.push("receiveSomethingElse_v1", iso.sign(m, Algorithm.RSA_SHA256));
    assertFault(r, 500, "soap:Client", "unknown_action");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void malformed_xml_is_refused() {
    long before = totalMessages();
    byte[] broken = "<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>"
        .getBytes(StandardCharsets.UTF_8);
    assertFault(receiver.push(OUTAGE, broken), 400, "soap:Client", "malformed_xml");
    assertThat(totalMessages()).isEqualTo(before);
  }

  @Test
  void xxe_is_refused_without_reading_the_file() {
    long before = totalMessages();
    byte[] xxe = ("<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        + "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>&x;</soap:Body>"
        + "</soap:Envelope>").getBytes(StandardCharsets.UTF_8);
    PushResult r = receiver.push(OUTAGE, xxe);
    assertFault(r, 400, "soap:Client", "dtd_not_allowed");
    assertThat(r.body()).doesNotContain("root:");
    assertThat(totalMessages()).isEqualTo(before);
  }

  @Test
  void xml_that_is_not_a_soap_envelope_is_refused() {
    assertFault(receiver.push(OUTAGE, "<hello/>".getBytes(StandardCharsets.UTF_8)), 400, "soap:Client", "not_soap");
  }

  @Test
  void body_over_the_limit_is_refused_with_413() {
    var event = new MarketEvent("EV-big", "MARKET_CLOSED", "DAM", LocalDate.now(), Instant.now(), null, null);
    PushMessage m = PushMessage.marketEvent(event).padTo(3 * 1024 * 1024).build();
    PushResult r = receiver.push(MARKET, iso.sign(m, Algorithm.RSA_SHA256));
    assertFault(r, 413, "soap:Client", "too_large");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void body_of_one_megabyte_is_accepted() {
    var event = new MarketEvent("EV-" + UUID.randomUUID(), "RESULTS_PUBLISHED", "DAM", LocalDate.now(),
        Instant.now(), null, null);
    PushMessage m = PushMessage.marketEvent(event).padTo(1024 * 1024).build();
    PushResult r = receiver.push(MARKET, iso.sign(m, Algorithm.RSA_SHA256));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(TestDatabase.queryLong(db, "select length(raw_xml) from inbound_message where message_id = ?",
        m.messageId())).isEqualTo(1024 * 1024);
  }

  @Test
  void wrong_content_type_is_refused_with_415() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    PushResult r = await(receiver.iso.send(HttpMethod.POST, receiver.url(),
        Map.of("Content-Type", "application/json", "SOAPAction", OUTAGE),
        Buffer.buffer(iso.sign(m, Algorithm.RSA_SHA256))));
    assertFault(r, 415, "soap:Client", "unsupported_media_type");
    assertThat(stored(m.messageId())).isZero();
  }

  @Test
  void get_is_refused_with_405() {
    PushResult r = await(receiver.iso.send(HttpMethod.GET, receiver.url(), Map.of(), Buffer.buffer()));
    assertFault(r, 405, "soap:Client", "method_not_allowed");
  }

  @Test
  void database_down_is_a_503_fault_never_a_200() throws Exception {
    // A receiver of its own whose database goes away.
    DatabaseUrl own = TestDatabase.fresh();
    try (TestReceiver r = TestReceiver.start(pki, own, Map.of())) {
      TestDatabase.execute(TestDatabase.server().withDatabase("postgres"),
          "alter database \"" + own.database() + "\" with allow_connections false");
      TestDatabase.execute(TestDatabase.server().withDatabase("postgres"),
          "select pg_terminate_backend(pid) from pg_stat_activity where datname = ?", own.database());
      PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
      PushResult res = r.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
      assertFault(res, 503, "soap:Server", "storage_unavailable");
      TestDatabase.execute(TestDatabase.server().withDatabase("postgres"),
          "alter database \"" + own.database() + "\" with allow_connections true");
      assertThat(TestDatabase.count(own, "inbound_message", "message_id = ?", m.messageId())).isZero();
      // And it recovers by itself once the database is back.
      PushResult again = r.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
      assertThat(TestDatabase.count(own, "inbound_message", "message_id = ?", m.messageId())).isEqualTo(1);
    }
  }

  @Test
  void a_storage_failure_fault_names_an_incident_and_no_sql_and_the_error_log_has_the_details() {
    // A database check the push passes but the database refuses: a defect of ours, not the ISO's.
    TestDatabase.execute(db, "alter table claim add constraint no_refused_by_db_mrids "
        + "check (outage_mrid not like 'REFUSED-BY-DB%')");
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(PushEndpoint.class);
    logs.start();
    logger.addAppender(logs);
    try {
      PushMessage m = PushMessage.outageStatusChange(change("REFUSED-BY-DB-" + UUID.randomUUID().toString()
          .substring(0, 8), 1)).build();
      PushResult r = receiver.push(OUTAGE, iso.sign(m, Algorithm.RSA_SHA256));
      assertFault(r, 503, "soap:Server", "storage_unavailable");
      assertThat(r.body()).doesNotContainIgnoringCase("sqlstate").doesNotContain("23514")
          .doesNotContain("no_refused_by_db_mrids").doesNotContain("violates").doesNotContain("claim")
          .doesNotContainIgnoringCase("constraint");
      Matcher incident = Pattern.compile("incident ([0-9a-f]{16})").matcher(r.body());
      assertThat(incident.find()).as("an incident id in %s", r.body()).isTrue();
      assertThat(stored(m.messageId())).isZero();
      assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.ERROR)
          .filteredOn(e -> e.getFormattedMessage().contains(incident.group(1)))
          .singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
              .contains("no_refused_by_db_mrids").contains(m.messageId()));
    } finally {
      logger.detachAppender(logs);
      TestDatabase.execute(db, "alter table claim drop constraint no_refused_by_db_mrids");
    }
  }

  @Test
  void every_refusal_is_counted_in_the_metrics() {
    PushMessage m = PushMessage.outageStatusChange(change(mrid(), 1)).build();
    receiver.push(OUTAGE, iso.unsigned(m));
    String scrape = receiver.app.metrics().scrape();
    assertThat(scrape).containsPattern(
        "oms_push_requests_total\\{action=\"receiveOutageStatusChange_v1\",outcome=\"signature_missing\"\\} [1-9]");
  }
}
