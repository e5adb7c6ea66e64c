package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.scenario.Scenario;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;
import org.slf4j.LoggerFactory;

/** Redemption against the ISO stand-in over real HTTPS, with a short AUP interval on both sides. */
class RedemptionTest {
  static final Duration AUP = Duration.ofMillis(300);

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  IsoSim iso;
  DatabaseUrl db;
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

  @BeforeEach
  void start() {
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(AUP)));
    db = TestDatabase.fresh();
  }

  @AfterEach
  void stop() throws Exception {
    if (receiver != null) {
      receiver.close();
    }
    await(iso.close());
  }

  static Map<String, String> isoEnvironment(DevPki pki, IsoSim iso) {
    Map<String, String> env = new HashMap<>();
    env.put("OMS_ISO_BASE_URL", iso.baseUrl());
    env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
    env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
    env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
    env.put("OMS_AUP_INTERVAL", AUP.toMillis() + "ms");
    env.put("OMS_AUP_MARGIN", "100ms");
    env.put("OMS_RETRY_BASE", "200ms");
    env.put("OMS_RETRY_MAX", "1s");
    env.put("OMS_POLL_INTERVAL", "200ms");
    env.put("OMS_RETRIEVE_TIMEOUT", "3s");
    // Catch-up would find the same changes as the pushes; only its own test turns it on.
    env.put("OMS_ISO_SERVICES", RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName() + ","
        + RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName());
    return env;
  }

  private TestReceiver startReceiver(Map<String, String> extra) {
    Map<String, String> env = isoEnvironment(pki, iso);
    env.putAll(extra);
    receiver = TestReceiver.start(pki, db, env);
    return receiver;
  }

  private Publisher publisher() {
    return new Publisher(vertx, pki, receiver.url());
  }

  private static void eventually(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(100);
    }
  }

  private long claims(String state) {
    return TestDatabase.count(db, "claim", "state = ?", state);
  }

  private long violations() {
    return iso.stats().totalViolations();
  }

  private long calls(RetrieveService service) {
    return iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, service);
  }

  private OutageVersion newOutage(int size) {
    return iso.state().createOutage("OUT-" + UUID.randomUUID().toString().substring(0, 12), "RESOURCE", "RECEIVED",
        size);
  }

  private void push(Publisher p, OutageVersion v) {
    PushResult r = await(p.publish(iso.state().statusChange(v)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static String gunzipSha256(byte[] gzip) throws Exception {
    try (var in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
    }
  }

  @Test
  void pushed_claims_are_redeemed_with_their_documents_and_published_without_aup_violations() throws Exception {
    startReceiver(Map.of());
    try (Publisher p = publisher()) {
      for (int i = 0; i < 5; i++) {
        push(p, newOutage(2048 + i * 1000));
      }
    }
    eventually("5 claims redeemed", Duration.ofSeconds(60), () -> claims("REDEEMED") == 5);
    assertThat(TestDatabase.count(db, "event", "type = 'outage.status-changed'")).isEqualTo(5);
    var rows = TestDatabase.rows(db, "select string_agg(c.data, ''::bytea order by c.seq) as content_gzip, p.sha256,"
        + " p.size_bytes from payload p join payload_piece c on c.payload_id = p.id group by p.id");
    assertThat(rows).hasSize(5);
    for (var row : rows) {
      byte[] gzip = (byte[]) row.get("content_gzip");
      assertThat(gunzipSha256(gzip)).isEqualTo(row.get("sha256"));
    }
    var data = TestDatabase.rows(db, "select data::text as d from event").get(0).get("d").toString();
    assertThat(data).contains("\"outageMRID\"").contains("\"version\": 1").contains("\"messageId\"")
        .doesNotContain("previousStatus");
    assertThat(violations()).isZero();
  }

  @Test
  void only_the_newest_version_of_an_outage_is_fetched() throws Exception {
    // The worker is slowed so all versions are pushed before it calls.
    iso.faults().all().latency(Duration.ofMillis(200));
    startReceiver(Map.of());
    OutageVersion v = newOutage(1024);
    try (Publisher p = publisher()) {
      push(p, v);
      for (int i = 0; i < 9; i++) {
        v = iso.state().change(v.outageMRID(), Scenario.LIFECYCLE.get(i % Scenario.LIFECYCLE.size()));
        push(p, v);
      }
    }
    String mrid = v.outageMRID();
    eventually("the newest version published", Duration.ofSeconds(60),
        () -> TestDatabase.count(db, "event", "outage_mrid = ? and outage_version = 10", mrid) == 1);
    eventually("no pending claim left", Duration.ofSeconds(30), () -> claims("PENDING") == 0);
    // Versions are never published out of order, and far fewer calls than pushes were made.
    var versions = TestDatabase.rows(db, "select outage_version from event where outage_mrid = ? order by created_at",
        mrid);
    long previous = 0;
    for (var row : versions) {
      long version = ((Number) row.get("outage_version")).longValue();
      assertThat(version).isGreaterThan(previous);
      previous = version;
    }
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).isLessThan(10);
    assertThat(violations()).isZero();
  }

  @Test
  void thousand_pushes_over_100_outages_take_at_most_100_retrieve_calls() throws Exception {
    // The burst is ingested first (a receiver without an ISO configured), then redeemed.
    receiver = TestReceiver.start(pki, db, Map.of());
    Scenario scenario = Scenario.builder().outages(100).changesPerOutage(10).outOfOrder(0.2).duplicates(0.05)
        .attempts(5, Duration.ofSeconds(1))
        .concurrency(16).documentSize(512).seed(11).build();
    try (Publisher p = publisher()) {
      var result = await(scenario.run(vertx, iso.state(), p));
      assertThat(result.allAccepted()).as("refused: %s", result.refused()).isTrue();
    }
    receiver.close();
    receiver = null;
    assertThat(TestDatabase.count(db, "claim", "state = 'PENDING'")).isEqualTo(100);
    startReceiver(Map.of());
    eventually("every outage published at version 10", Duration.ofSeconds(120),
        () -> TestDatabase.count(db, "event", "outage_version = 10") == 100);
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).isLessThanOrEqualTo(100);
    assertThat(TestDatabase.count(db, "event")).isEqualTo(100);
    assertThat(violations()).isZero();
  }

  @Test
  void aup_page_with_429_makes_the_worker_wait_and_succeed() throws Exception {
    aupPageIsWaitedOut(429);
  }

  @Test
  void aup_page_with_200_is_recognised_before_xml_parsing() throws Exception {
    aupPageIsWaitedOut(200);
  }

  private void aupPageIsWaitedOut(int status) throws Exception {
    await(iso.close());
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(AUP).aupStatus(status)));
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).forceAupNext(3);
    startReceiver(Map.of());
    try (Publisher p = publisher()) {
      push(p, newOutage(1024));
    }
    eventually("claim redeemed after the AUP pages", Duration.ofSeconds(60), () -> claims("REDEEMED") == 1);
    assertThat(claims("DEAD")).isZero();
    assertThat(TestDatabase.queryLong(db, "select attempts from claim")).as("AUP pages are not attempts").isZero();
    assertThat(TestDatabase.queryLong(db, "select aup_pages from aup_gate where service = ?",
        RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName())).isEqualTo(3);
    assertThat(receiver.app.metrics().scrape()).containsPattern("oms_aup_pages_total\\{[^}]*\\} 3\\.0");
  }

  @Test
  void server_errors_and_timeouts_back_off_then_succeed() throws Exception {
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).failNext(2).hangNext(1);
    startReceiver(Map.of());
    try (Publisher p = publisher()) {
      push(p, newOutage(1024));
    }
    eventually("claim redeemed after the failures", Duration.ofSeconds(60), () -> claims("REDEEMED") == 1);
    assertThat(TestDatabase.queryLong(db, "select attempts from claim")).as("transient failures are not attempts")
        .isZero();
    assertThat(TestDatabase.queryLong(db, "select transient_failures from claim")).isEqualTo(3);
    assertThat(violations()).isZero();
  }

  private ListAppender<ILoggingEvent> captureLogs(String logger) {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(logger)).addAppender(logs);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(logger)).setLevel(Level.INFO);
    return logs;
  }

  private static long lines(ListAppender<ILoggingEvent> logs, Level level, String text) {
    return logs.list.stream().filter(e -> e.getLevel() == level && e.getFormattedMessage().contains(text)).count();
  }

  private static final String OUTAGE_SERVICE = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();

  @Test
  void a_document_the_database_cannot_store_is_retried_without_declaring_the_iso_unavailable() throws Exception {
    ingestOnly(newOutage(1024));
    // Every chunk of a document is refused by the database; the ISO answers normally.
    TestDatabase.execute(db, "alter table payload_chunk add constraint refuse_every_chunk check (false) not valid");
    ListAppender<ILoggingEvent> availability = captureLogs("org.omspush.claimcheck.redeem.IsoAvailability");
    startReceiver(Map.of());
    eventually("three fetches not stored", Duration.ofSeconds(30),
        () -> TestDatabase.queryLong(db, "select transient_failures from claim") >= 3);
    assertThat(availability.list).as("no ISO outage declared").isEmpty();
    assertThat(receiver.app.metrics().scrape()).containsPattern(
        "oms_iso_unavailable\\{service=\"" + OUTAGE_SERVICE + "\"\\} 0\\.0");
    assertThat(TestDatabase.rows(db, "select last_error from claim").get(0).get("last_error").toString())
        .contains("could not be stored");
    assertThat(TestDatabase.queryLong(db, "select attempts from claim")).isZero();

    TestDatabase.execute(db, "alter table payload_chunk drop constraint refuse_every_chunk");
    eventually("redeemed once the database stores it", Duration.ofSeconds(30), () -> claims("REDEEMED") == 1);
  }

  @Test
  void an_iso_maintenance_longer_than_the_old_attempt_budget_loses_no_claim() throws Exception {
    ingestOnly(newOutage(1024), newOutage(1024), newOutage(1024), newOutage(1024), newOutage(1024));
    ListAppender<ILoggingEvent> logs = captureLogs("org.omspush.claimcheck.redeem.IsoAvailability");
    // Three counted attempts, 200 ms doubling to 1 s: the old budget ran out in about a second.
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).failNext(1_000_000);
    startReceiver(Map.of("OMS_RETRIEVE_MAX_ATTEMPTS", "3"));
    eventually("503s answered", Duration.ofSeconds(30), () -> calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK) >= 4);
    long started = System.nanoTime();
    // The ISO answers 503 a little longer, then refuses connections (nothing listens on its port).
    while (System.nanoTime() - started < Duration.ofSeconds(3).toNanos() && claims("DEAD") == 0) {
      Thread.sleep(100);
    }
    int port = iso.port();
    IsoState state = iso.state();
    await(iso.close());
    while (System.nanoTime() - started < Duration.ofSeconds(8).toNanos() && claims("DEAD") == 0) {
      Thread.sleep(100);
    }
    assertThat(claims("DEAD")).as("claims DEAD during the ISO's maintenance").isZero();
    assertThat(TestDatabase.queryLong(db, "select count(*) from claim where transient_failures > 0"))
        .as("claims that met the outage").isPositive();
    await(receiver.app.refreshStateGauges());
    assertThat(receiver.app.metrics().scrape()).containsPattern(
        "oms_iso_unavailable\\{service=\"" + OUTAGE_SERVICE + "\"\\} 1\\.0");

    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(AUP).port(port).state(state)));
    eventually("every claim redeemed once the ISO is back", Duration.ofSeconds(60), () -> claims("REDEEMED") == 5);
    assertThat(claims("DEAD")).isZero();
    assertThat(TestDatabase.count(db, "claim", "attempts > 0")).as("claims with counted attempts").isZero();
    assertThat(TestDatabase.count(db, "claim", "next_attempt_at > created_at"))
        .as("claims that backed off by themselves: only the one whose failure opened the outage")
        .isLessThanOrEqualTo(1);
    assertThat(TestDatabase.rows(db, "select id from claim order by redeemed_at"))
        .as("the backlog drained in its queue order, oldest first")
        .isEqualTo(TestDatabase.rows(db, "select id from claim order by next_attempt_at, id"));
    assertThat(violations()).isZero();
    assertThat(receiver.app.metrics().scrape()).containsPattern(
        "oms_iso_unavailable\\{service=\"" + OUTAGE_SERVICE + "\"\\} 0\\.0");
    assertThat(lines(logs, Level.WARN, "unavailable")).as("WARN lines at the outage's start").isEqualTo(1);
    assertThat(lines(logs, Level.INFO, "available again")).as("INFO lines at its end").isEqualTo(1);
  }

  @Test
  void definitive_faults_still_end_dead_after_the_counted_attempts() throws Exception {
    // An outage the ISO knows neither by token nor by mRID, and a document whose hash is always wrong.
    IsoState elsewhere = new IsoState();
    OutageVersion unknown = elsewhere.createOutage("OUT-UNKNOWN-" + UUID.randomUUID().toString().substring(0, 8),
        "RESOURCE", "RECEIVED");
    receiver = TestReceiver.start(pki, db, Map.of());
    try (Publisher p = publisher()) {
      assertThat(await(p.publish(elsewhere.statusChange(unknown))).statusCode()).isEqualTo(200);
      push(p, newOutage(1024));
    }
    receiver.close();
    receiver = null;
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).corruptHashNext(1_000_000);
    startReceiver(Map.of("OMS_RETRIEVE_MAX_ATTEMPTS", "3"));
    eventually("both claims DEAD", Duration.ofSeconds(60), () -> claims("DEAD") == 2);
    assertThat(TestDatabase.count(db, "claim", "dead_reason = 'attempts' and attempts = 3")).isEqualTo(2);
    assertThat(TestDatabase.rows(db, "select last_error from claim where outage_mrid = ?", unknown.outageMRID())
        .get(0).get("last_error").toString()).contains("unknown outage");
    assertThat(receiver.app.metrics().scrape()).containsPattern("oms_claims_dead_total(\\{\\})? 2\\.0");
  }

  @Test
  void a_claim_failing_only_transiently_is_dead_no_sooner_than_the_give_up_time() throws Exception {
    ingestOnly(newOutage(1024));
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).failNext(1_000_000);
    startReceiver(Map.of("OMS_RETRIEVE_MAX_ATTEMPTS", "2", "OMS_REDEEM_GIVE_UP_AFTER", "4s"));
    eventually("the claim DEAD", Duration.ofSeconds(60), () -> claims("DEAD") == 1);
    var claim = TestDatabase.rows(db, "select dead_reason, attempts, transient_failures,"
        + " extract(epoch from updated_at - created_at)::float8 as age from claim").get(0);
    assertThat(claim).containsEntry("dead_reason", "gave_up").containsEntry("attempts", 0);
    assertThat(((Number) claim.get("transient_failures")).intValue()).isGreaterThan(2);
    assertThat(((Number) claim.get("age")).doubleValue()).isGreaterThanOrEqualTo(4.0);
  }

  @Test
  void a_claim_check_naming_a_service_no_identity_serves_is_unserviceable_until_one_does() throws Exception {
    String token = "t".repeat(24);
    ListAppender<ILoggingEvent> logs = captureLogs("org.omspush.claimcheck.redeem.RedemptionWorker");
    Map<String, String> outagesOnly = Map.of("OMS_ISO_SERVICES", OUTAGE_SERVICE, "OMS_ADMIN_TOKEN", token);
    startReceiver(outagesOnly);
    var entry = iso.state().addMarketEvent("EV-" + UUID.randomUUID(), "RESULTS_PUBLISHED", "DAM",
        java.time.LocalDate.now(), Instant.now(), "results");
    try (Publisher p = publisher()) {
      assertThat(await(p.publish(iso.state().marketEventPush(entry, true))).statusCode()).as("acknowledged")
          .isEqualTo(200);
    }
    eventually("the claim set aside", Duration.ofSeconds(30), () -> claims("UNSERVICEABLE") == 1);
    // Logged once the statement is answered, a moment after the state is visible.
    eventually("its WARN line", Duration.ofSeconds(5),
        () -> lines(logs, Level.WARN, RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName()) > 0);
    assertThat(lines(logs, Level.WARN, RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName())).isEqualTo(1);
    await(receiver.app.refreshStateGauges());
    assertThat(receiver.app.metrics().scrape()).contains("oms_claims{state=\"UNSERVICEABLE\"} 1.0");
    // Retried through the API while still no identity serves it: set aside again.
    long id = TestDatabase.queryLong(db, "select id from claim");
    assertThat(adminPost(receiver, token, "/api/v1/claims/" + id + "/retry").statusCode()).isEqualTo(200);
    assertThat(claims("UNSERVICEABLE") + claims("PENDING")).isEqualTo(1);
    eventually("set aside again", Duration.ofSeconds(30), () -> claims("UNSERVICEABLE") == 1);
    receiver.close();
    receiver = null;
    // Configured to serve it: PENDING again at start-up, before any operator acts.
    startReceiver(Map.of("OMS_ADMIN_TOKEN", token));
    eventually("the claim revived", Duration.ofSeconds(30), () -> claims("UNSERVICEABLE") == 0);
    String revived = "UNSERVICEABLE claims of " + RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName()
        + " are PENDING again";
    eventually("its INFO line", Duration.ofSeconds(5), () -> lines(logs, Level.INFO, revived) > 0);
    assertThat(lines(logs, Level.INFO, revived)).isEqualTo(1);
    // The operator's retry after the change finds it revived: refused, and it changes nothing.
    var late = adminPost(receiver, token, "/api/v1/claims/" + id + "/retry");
    assertThat(late.statusCode()).as(late.body()).isEqualTo(409);
    assertThat(late.body()).containsPattern("claim " + id + " is (PENDING|REDEEMED);");
    eventually("the claim redeemed", Duration.ofSeconds(60), () -> claims("REDEEMED") == 1);
    assertThat(TestDatabase.count(db, "event", "type = 'market.event' and payload_id is not null")).isEqualTo(1);
  }

  static java.net.http.HttpResponse<String> adminPost(TestReceiver r, String token, String path) throws Exception {
    var request = java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + r.app.adminPort() + path))
        .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build();
    return java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void corrupt_attachment_hash_is_never_accepted() throws Exception {
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).corruptHashNext(2);
    startReceiver(Map.of());
    try (Publisher p = publisher()) {
      push(p, newOutage(1024));
    }
    eventually("first corrupt answer refused", Duration.ofSeconds(30),
        () -> TestDatabase.queryLong(db, "select attempts from claim") >= 1);
    assertThat(TestDatabase.count(db, "payload")).isZero();
    assertThat(TestDatabase.rows(db, "select last_error from claim").get(0).get("last_error").toString())
        .contains("hash mismatch");
    eventually("redeemed once the ISO answers correctly", Duration.ofSeconds(60), () -> claims("REDEEMED") == 1);
    assertThat(TestDatabase.count(db, "payload")).isEqualTo(1);
  }

  @Test
  void forbidden_service_is_not_retried_in_a_loop_and_raises_an_alert() throws Exception {
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).denyNext(1000);
    startReceiver(Map.of());
    try (Publisher p = publisher()) {
      push(p, newOutage(1024));
      push(p, newOutage(1024));
    }
    eventually("the 403 recorded", Duration.ofSeconds(30), () -> TestDatabase.count(db, "aup_gate",
        "refused_at is not null") == 1);
    Thread.sleep(10 * AUP.toMillis());
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).as("calls after a 403").isEqualTo(1);
    assertThat(claims("PENDING")).isEqualTo(2);
    assertThat(claims("DEAD")).isZero();
    assertThat(receiver.app.metrics().scrape())
        .containsPattern("oms_iso_service_refused\\{[^}]*service=\"RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP\"[^}]*\\} 1\\.0");
  }

  @Test
  void expired_token_falls_back_to_the_outage_mrid() throws Exception {
    startReceiver(Map.of());
    OutageVersion v = newOutage(1024);
    try (Publisher p = publisher()) {
      // The claim check in the push is already past its expiry at the ISO.
      var change = IsoState.statusChange(v, iso.state().claimCheck(v, Instant.now().minusSeconds(60)));
      assertThat(await(p.publish(change)).statusCode()).isEqualTo(200);
    }
    eventually("redeemed by mRID", Duration.ofSeconds(60), () -> claims("REDEEMED") == 1);
    assertThat(TestDatabase.rows(db, "select lookup from claim").get(0)).containsEntry("lookup", "KEY");
  }

  @Test
  void token_the_iso_no_longer_knows_falls_back_to_the_outage_mrid() throws Exception {
    startReceiver(Map.of());
    OutageVersion v = newOutage(1024);
    var check = iso.state().claimCheck(v, Instant.now().plusSeconds(3600));
    // Valid by the push's own expiry, refused by the ISO.
    iso.state().expireAllTokens();
    try (Publisher p = publisher()) {
      assertThat(await(p.publish(IsoState.statusChange(v, check))).statusCode()).isEqualTo(200);
    }
    eventually("redeemed by mRID", Duration.ofSeconds(60), () -> claims("REDEEMED") == 1);
    var claim = TestDatabase.rows(db, "select lookup, last_error from claim").get(0);
    assertThat(claim).containsEntry("lookup", "KEY");
    assertThat(claim.get("last_error").toString()).containsIgnoringCase("token");
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).isEqualTo(2);
  }

  @Test
  void catch_up_brings_the_changes_made_while_the_receiver_was_down() throws Exception {
    // 50 outages change at the ISO while no receiver runs: nothing is pushed.
    for (int i = 0; i < 50; i++) {
      OutageVersion v = newOutage(512);
      iso.state().change(v.outageMRID(), "APPROVED");
    }
    startReceiver(Map.of("OMS_ISO_SERVICES", String.join(",", RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName(),
        RetrieveService.OUTAGE_CHANGES.serviceName())));
    eventually("50 outages redeemed after catch-up", Duration.ofSeconds(120),
        () -> TestDatabase.count(db, "event", "type = 'outage.status-changed' and outage_version = 2") == 50);
    assertThat(calls(RetrieveService.OUTAGE_CHANGES)).isGreaterThanOrEqualTo(1);
    assertThat(violations()).isZero();
  }

  @Test
  void market_event_with_a_claim_check_is_published_once_redeemed() throws Exception {
    startReceiver(Map.of());
    var entry = iso.state().addMarketEvent("EV-" + UUID.randomUUID(), "RESULTS_PUBLISHED", "DAM",
        java.time.LocalDate.now(), Instant.now(), "results");
    try (Publisher p = publisher()) {
      assertThat(await(p.publish(iso.state().marketEventPush(entry, true))).statusCode()).isEqualTo(200);
    }
    eventually("market event published", Duration.ofSeconds(60),
        () -> TestDatabase.count(db, "event", "type = 'market.event' and payload_id is not null") == 1);
    assertThat(TestDatabase.count(db, "market_event", "fanout_state = 'READY'")).isEqualTo(1);
  }

  /** Pushes these outages through a receiver without an ISO configured: the claims wait, all PENDING. */
  private void ingestOnly(OutageVersion... outages) throws Exception {
    receiver = TestReceiver.start(pki, db, Map.of());
    try (Publisher p = publisher()) {
      for (OutageVersion v : outages) {
        push(p, v);
      }
    }
    receiver.close();
    receiver = null;
    assertThat(claims("PENDING")).isEqualTo(outages.length);
  }

  @Test
  void the_retrieve_timeout_runs_from_the_send_not_while_the_lane_waits_for_the_gate() throws Exception {
    // Each lane opens its connection, then waits up to 1.5 s for the gate: longer than the 700 ms timeout.
    await(iso.close());
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ofMillis(1500))));
    ingestOnly(newOutage(1024), newOutage(1024), newOutage(1024));
    startReceiver(Map.of("OMS_AUP_INTERVAL", "1500ms", "OMS_RETRIEVE_TIMEOUT", "700ms"));
    eventually("3 claims redeemed", Duration.ofSeconds(60), () -> claims("REDEEMED") == 3);
    assertThat(TestDatabase.count(db, "claim", "attempts > 0")).as("claims with a failed attempt").isZero();
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).isEqualTo(3);
    assertThat(violations()).isZero();
  }

  @Test
  void a_request_that_reaches_the_iso_late_moves_the_gate_so_the_next_call_keeps_the_interval() throws Exception {
    ingestOnly(newOutage(1024), newOutage(1024), newOutage(1024));
    // The first request arrives 600 ms after it was sent, past the 100 ms margin: the gate alone
    // (300 ms + 100 ms after the take) would let the next call arrive right behind it.
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).arriveLateNext(1, Duration.ofMillis(600));
    startReceiver(Map.of());
    eventually("3 claims redeemed", Duration.ofSeconds(60), () -> claims("REDEEMED") == 3);
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).isEqualTo(3);
    assertThat(violations()).isZero();
    assertThat(receiver.app.metrics().scrape()).containsPattern("oms_aup_late_answers_total\\{[^}]*\\} [1-9]");
  }

  @Test
  void a_claim_that_got_the_aup_page_keeps_its_place_ahead_of_newer_claims() throws Exception {
    OutageVersion oldest = newOutage(1024);
    ingestOnly(oldest, newOutage(1024), newOutage(1024));
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).forceAupNext(1);
    startReceiver(Map.of());
    eventually("3 claims redeemed", Duration.ofSeconds(60), () -> claims("REDEEMED") == 3);
    var order = TestDatabase.rows(db, "select outage_mrid from claim order by redeemed_at, id");
    assertThat(order.get(0)).as("the claim given back is redeemed first").containsEntry("outage_mrid",
        oldest.outageMRID());
    assertThat(TestDatabase.count(db, "claim", "attempts > 0")).isZero();
  }

  @Test
  void catch_up_does_not_store_again_the_changes_already_pushed() throws Exception {
    Map<String, String> withCatchUp = Map.of("OMS_ISO_SERVICES", String.join(",",
        RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName(), RetrieveService.OUTAGE_CHANGES.serviceName()));
    startReceiver(withCatchUp);
    // The start-up catch-up found nothing (the ISO knows no outage yet) and left its cursor 24 h back.
    eventually("start-up catch-up done", Duration.ofSeconds(30), () -> TestDatabase.count(db, "sync_cursor") == 1);
    try (Publisher p = publisher()) {
      for (int i = 0; i < 3; i++) {
        push(p, newOutage(1024));
      }
    }
    eventually("3 claims redeemed", Duration.ofSeconds(60), () -> claims("REDEEMED") == 3);
    receiver.close();
    receiver = null;
    long changeCalls = calls(RetrieveService.OUTAGE_CHANGES);
    // The next start-up catch-up asks from the cursor: the ISO answers the 3 pushed changes.
    startReceiver(withCatchUp);
    eventually("second catch-up done", Duration.ofSeconds(30), () -> calls(RetrieveService.OUTAGE_CHANGES) > changeCalls
        && TestDatabase.count(db, "sync_cursor", "since >= (select max(last_modified) from claim)") == 1);
    assertThat(TestDatabase.count(db, "inbound_message")).as("changes stored again").isEqualTo(3);
    assertThat(TestDatabase.count(db, "claim")).isEqualTo(3);
    assertThat(calls(RetrieveService.OUTAGE_BY_CLAIM_CHECK)).isEqualTo(3);
    assertThat(violations()).isZero();
  }
}
