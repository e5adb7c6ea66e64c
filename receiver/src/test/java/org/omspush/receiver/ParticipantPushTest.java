package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.KeyPurposeId;
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
import org.omspush.receiver.participants.ParticipantDirectory;
import org.omspush.receiver.tls.TestCertificates;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/** The push path names the participant (iso-interface.md, "Several participants in one deployment"). */
class ParticipantPushTest {
  private static final String OUTAGE = PushMessage.OUTAGE_STATUS_CHANGE_ACTION;
  private static final String MARKET = PushMessage.MARKET_EVENT_ACTION;
  private static final String TOKEN = "test-admin-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static ParticipantDirectory participants;
  static TestReceiver receiver;
  static PushSigner iso;
  static Vertx vertx;
  static HttpServer hook;
  static final List<JsonObject> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    participants = new ParticipantDirectory(dir.resolve("participants"));
    participants.put("SC_A", TestCertificates.issue(pki.isoIssuingCa(), new X500Principal("CN=SC A,O=Test SC"),
        Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)),
        KeyPurposeId.id_kp_clientAuth));
    db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, Map.of("OMS_PARTICIPANTS_DIR", participants.path().toString(),
        "OMS_TLS_RELOAD_INTERVAL", "200ms", "OMS_ADMIN_TOKEN", TOKEN));
    iso = PushSigner.of(pki.isoPushClient());
    vertx = Vertx.vertx();
    hook = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      received.add(new JsonObject(b));
      req.response().end();
    })).listen(0, "127.0.0.1"));
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
    receiver.close();
  }

  private static PushResult push(String participant, String action, PushMessage m) {
    String url = receiver.url() + (participant == null ? "" : "/" + participant);
    return await(receiver.iso.push(url, action, iso.sign(m, Algorithm.RSA_SHA256)));
  }

  private static PushMessage outage(String mrid, long version) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return PushMessage.outageStatusChange(new OutageStatusChange(mrid, "RESOURCE", version, "APPROVED", null, now,
        new ClaimCheck("tok-" + UUID.randomUUID(), "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP",
            now.plus(1, ChronoUnit.DAYS)))).build();
  }

  private static PushMessage marketEvent(String eventId) {
    return PushMessage.marketEvent(new MarketEvent(eventId, "MARKET_CLOSED", "DAM", LocalDate.of(2026, 11, 21),
        Instant.now().truncatedTo(ChronoUnit.MILLIS), "DAM closed", null)).build();
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(25);
    }
  }

  private static void assertUnknownParticipant(PushResult r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
    assertThat(r.contentType()).startsWith("text/xml");
    assertThat(r.body()).contains("<faultcode>soap:Client</faultcode>")
        .contains("<faultstring>unknown_participant:").contains("<result>Failure</result>");
  }

  @Test
  void an_unknown_participant_path_gets_404_unknown_participant_and_nothing_is_stored() {
    long before = TestDatabase.count(db, "inbound_message");
    PushMessage m = outage("OUT-" + UUID.randomUUID().toString().substring(0, 12), 1);

    PushResult r = push("SC_NOBODY", OUTAGE, m);
    PushResult notAKey = push("not%20a%20key", OUTAGE, m);

    assertUnknownParticipant(r);
    assertThat(r.body()).contains("SC_NOBODY");
    assertUnknownParticipant(notAKey);
    assertThat(TestDatabase.count(db, "inbound_message")).isEqualTo(before);
    assertThat(TestDatabase.count(db, "inbound_message", "message_id = ?", m.messageId())).isZero();
    assertThat(receiver.app.metrics().counter("oms.push.requests", "action", OUTAGE, "outcome", "unknown_participant")
        .count()).isEqualTo(2);
  }

  @Test
  void the_same_message_id_and_mrid_under_two_participants_are_two_separate_things() {
    String mrid = "OUT-" + UUID.randomUUID().toString().substring(0, 12);
    PushMessage m = outage(mrid, 1);

    PushResult toDefault = push(null, OUTAGE, m);
    PushResult toA = push("SC_A", OUTAGE, m);

    assertThat(toDefault.statusCode()).as(toDefault.body()).isEqualTo(200);
    assertThat(toA.statusCode()).as(toA.body()).isEqualTo(200);
    assertThat(toA.body()).contains(mrid + " version 1 stored");
    assertThat(TestDatabase.rows(db, "SELECT participant, state FROM claim WHERE outage_mrid = ? ORDER BY participant",
        mrid)).containsExactly(Map.of("participant", "SC_A", "state", "PENDING"),
            Map.of("participant", "default", "state", "PENDING"));
    assertThat(TestDatabase.count(db, "inbound_message", "message_id = ?", m.messageId())).isEqualTo(2);
    assertThat(TestDatabase.count(db, "outage", "outage_mrid = ?", mrid)).isEqualTo(2);
    JsonArray claimsOfA = admin(HttpMethod.GET, "/api/v1/claims?participant=SC_A", null).getJsonArray("items");
    assertThat(claimsOfA.stream().map(c -> ((JsonObject) c).getString("participant"))).containsOnly("SC_A");
    assertThat(claimsOfA.stream().map(c -> ((JsonObject) c).getString("outageMRID"))).contains(mrid);
  }

  @Test
  void a_participant_added_at_run_time_is_served_and_one_removed_gets_404_afterwards() throws Exception {
    PushMessage first = marketEvent("EV-" + UUID.randomUUID());
    assertUnknownParticipant(push("SC_LATE", MARKET, first));

    participants.put("SC_LATE", TestCertificates.issue(pki.isoIssuingCa(), new X500Principal("CN=SC LATE,O=Test SC"),
        Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)),
        KeyPurposeId.id_kp_clientAuth));
    eventually("SC_LATE is a participant", () -> receiver.app.participants().isParticipant("SC_LATE"));
    PushResult served = push("SC_LATE", MARKET, first);
    assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
    assertThat(TestDatabase.count(db, "market_event", "participant = 'SC_LATE'")).isEqualTo(1);

    participants.remove("SC_LATE");
    eventually("SC_LATE is no participant", () -> !receiver.app.participants().isParticipant("SC_LATE"));
    assertUnknownParticipant(push("SC_LATE", MARKET, marketEvent("EV-" + UUID.randomUUID())));
    assertThat(TestDatabase.count(db, "market_event", "participant = 'SC_LATE'")).isEqualTo(1);
  }

  @Test
  void a_subscriber_filtered_to_one_participant_gets_only_that_participants_events() throws Exception {
    JsonObject created = admin(HttpMethod.POST, "/api/v1/subscribers", new JsonObject()
        .put("url", "http://127.0.0.1:" + hook.actualPort() + "/hook")
        .put("eventTypes", new JsonArray().add("market.event")).put("participants", new JsonArray().add("SC_A")));
    assertThat(created.getJsonArray("participants")).containsExactly("SC_A");
    String forDefault = "EV-" + UUID.randomUUID();
    String forA = "EV-" + UUID.randomUUID();

    assertThat(push(null, MARKET, marketEvent(forDefault)).statusCode()).isEqualTo(200);
    assertThat(push("SC_A", MARKET, marketEvent(forA)).statusCode()).isEqualTo(200);

    eventually("SC_A's event arrived", () -> received.stream().anyMatch(e -> e.toString().contains(forA)));
    eventually("the default participant's event was fanned out, to nobody", () ->
        TestDatabase.count(db, "event", "data->>'eventId' = ?", forDefault) == 1);
    Thread.sleep(300);
    assertThat(received).noneMatch(e -> e.toString().contains(forDefault));
    JsonObject ce = received.stream().filter(e -> e.toString().contains(forA)).findFirst().orElseThrow();
    assertThat(ce.getString("participant")).isEqualTo("SC_A");
    assertThat(admin(HttpMethod.GET, "/api/v1/subscribers?participant=SC_A", null).getJsonArray("items")).hasSize(1);
    assertThat(admin(HttpMethod.GET, "/api/v1/subscribers?participant=SC_B", null).getJsonArray("items")).isEmpty();
  }

  private static JsonObject admin(HttpMethod method, String uri, JsonObject body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(receiver.app.adminPort()).setURI(uri).putHeader("Authorization", "Bearer " + TOKEN);
    var http = vertx.createHttpClient();
    return await(http.request(o).compose(req -> {
      if (body != null) {
        req.putHeader("Content-Type", "application/json");
      }
      return (body == null ? req.send() : req.send(Buffer.buffer(body.encode())))
          .compose(resp -> resp.body().map(b -> {
            assertThat(resp.statusCode()).as(b.toString()).isBetween(200, 299);
            return new JsonObject(b);
          }));
    }));
  }
}
