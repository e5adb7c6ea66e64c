package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/**
 * The read API on a real receiver: outages pushed by the ISO stand-in and redeemed from it,
 * delivered to a real subscriber, read back through the admin port.
 */
class ReadApiTest {
  static final String TOKEN = "read-api-test-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  static DatabaseUrl db;
  static IsoSim iso;
  static TestReceiver receiver;
  static HttpServer hook;
  static HttpServer down;
  static Publisher publisher;
  static AdminResponses responses;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    pki = DevPki.generate(dir);
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP)));
    Map<String, String> env = new java.util.HashMap<>(RedemptionTest.isoEnvironment(pki, iso));
    env.put("OMS_ADMIN_TOKEN", TOKEN);
    receiver = TestReceiver.start(pki, db, env);
    responses = new AdminResponses();
    hook = await(vertx.createHttpServer().requestHandler(req -> req.body()
        .onSuccess(b -> req.response().setStatusCode(200).end("thanks")))
        .listen(0, "127.0.0.1"));
    down = await(vertx.createHttpServer().requestHandler(req -> req.body()
        .onSuccess(b -> req.response().setStatusCode(503).end("down for maintenance until 18:00")))
        .listen(0, "127.0.0.1"));
    HttpResponse<String> failing = call("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "http://127.0.0.1:" + down.actualPort() + "/down")
        .put("eventTypes", new JsonArray().add("outage.status-changed")).encode(), TOKEN);
    assertThat(failing.statusCode()).as(failing.body()).isEqualTo(201);
    HttpResponse<String> created = call("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "http://127.0.0.1:" + hook.actualPort() + "/hook")
        .put("eventTypes", new JsonArray().add("outage.status-changed").add("market.event")).encode(), TOKEN);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    publisher = new Publisher(vertx, pki, receiver.url());
  }

  @AfterAll
  static void stop() throws Exception {
    publisher.close();
    receiver.close();
    responses.close();
    await(iso.close());
    await(vertx.close());
  }

  private static HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.app.adminPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    // Every JSON answer must fit the OpenAPI document's response schema.
    return responses.check(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private static JsonObject get(String path) throws Exception {
    HttpResponse<String> r = call("GET", path, null, TOKEN);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    return new JsonObject(r.body());
  }

  private static void assertProblem(HttpResponse<String> r, int status, String detail) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
    JsonObject p = new JsonObject(r.body());
    assertThat(p.getInteger("status")).isEqualTo(status);
    assertThat(p.getString("detail")).contains(detail);
  }

  private static void assertProblem(String path, int status, String detail) throws Exception {
    HttpResponse<String> r = call("GET", path, null, TOKEN);
    assertProblem(r, status, detail);
    if (status == 400) {
      assertThat(new JsonObject(r.body()).getString("type")).as("a read request's problem type").endsWith("invalid-request");
    }
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String q(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  private static void pushOutage(String mrid) {
    var v = iso.state().createOutage(mrid, "RESOURCE", "RECEIVED");
    assertThat(await(publisher.publish(iso.state().statusChange(v))).statusCode()).isEqualTo(200);
  }

  private static List<String> mrids(JsonObject page) {
    List<String> out = new ArrayList<>();
    page.getJsonArray("items").forEach(o -> out.add(((JsonObject) o).getString("mRID")));
    return out;
  }

  private static long delivered(String mrid) {
    return TestDatabase.count(db, "delivery", "outage_mrid = ? AND state = 'DELIVERED'", mrid);
  }

  @Test
  void every_read_endpoint_refuses_a_request_without_the_token() throws Exception {
    for (String path : List.of("/api/v1/outages", "/api/v1/outages/default/OUT-1", "/api/v1/market-events",
        "/api/v1/events/" + UUID.randomUUID() + "/deliveries", "/api/v1/payloads/1")) {
      assertProblem(call("GET", path, null, null), 401, "Bearer");
      assertProblem(call("GET", path, null, "a-wrong-token-of-some-length"), 401, "Bearer");
    }
  }

  @Test
  void an_outages_history_shows_each_version_its_message_claim_document_and_each_subscribers_delivery()
      throws Exception {
    String mrid = unique("HIST");
    pushOutage(mrid);
    eventually("version 1 delivered", () -> delivered(mrid) == 1);
    var v2 = iso.state().change(mrid, "APPROVED");
    assertThat(await(publisher.publish(iso.state().statusChange(v2))).statusCode()).isEqualTo(200);
    eventually("version 2 delivered", () -> delivered(mrid) == 2);
    eventually("both versions refused by the subscriber that is down", () -> TestDatabase.count(db, "delivery",
        "outage_mrid = ? AND last_status = 503", mrid) == 2);

    JsonObject listed = get("/api/v1/outages?q=" + q(mrid.toLowerCase()));
    assertThat(mrids(listed)).containsExactly(mrid);
    JsonObject newest = listed.getJsonArray("items").getJsonObject(0);
    assertThat(newest.getLong("version")).isEqualTo(v2.version());
    assertThat(newest.getString("status")).isEqualTo("APPROVED");
    assertThat(newest.getString("previousStatus")).isEqualTo("RECEIVED");
    assertThat(newest.getString("claimState")).isEqualTo("REDEEMED");
    assertThat(newest.getString("href")).isEqualTo("/api/v1/outages/default/" + mrid);

    JsonObject h = get(newest.getString("href"));
    assertThat(h.getString("mRID")).isEqualTo(mrid);
    JsonArray versions = h.getJsonArray("versions");
    assertThat(versions).hasSize(2);
    List<Map<String, Object>> messages = TestDatabase.rows(db, "SELECT m.message_id, c.attempts FROM claim c "
        + "JOIN inbound_message m "
        + "ON m.id = c.inbound_message_id WHERE c.outage_mrid = ? ORDER BY c.version DESC", mrid);
    for (int i = 0; i < 2; i++) {
      JsonObject v = versions.getJsonObject(i);
      assertThat(v.getString("messageId")).isEqualTo(messages.get(i).get("message_id"));
      assertThat(v.getString("receivedAt")).isNotNull();
      JsonObject claim = v.getJsonObject("claim");
      assertThat(claim.getString("state")).isEqualTo("REDEEMED");
      assertThat(claim.getInteger("attempts")).isEqualTo(messages.get(i).get("attempts"));
      assertThat(claim.getString("lastError")).isNull();
      assertThat(v.getJsonObject("document").getString("href")).startsWith("/api/v1/payloads/");
    }
    assertThat(versions.getJsonObject(0).getString("statusChange")).isEqualTo("RECEIVED→APPROVED");
    assertThat(versions.getJsonObject(1).getString("statusChange")).isEqualTo("→RECEIVED");

    JsonArray subscribers = h.getJsonArray("subscribers");
    assertThat(subscribers).hasSize(2);
    JsonArray deliveries = null;
    for (Object o : subscribers) {
      JsonObject subscriber = (JsonObject) o;
      JsonArray ofSubscriber = subscriber.getJsonArray("deliveries");
      assertThat(ofSubscriber).hasSize(2);
      assertThat(ofSubscriber.getJsonObject(0).getLong("outageVersion")).isEqualTo(v2.version());
      for (Object each : ofSubscriber) {
        JsonObject d = (JsonObject) each;
        if (subscriber.getString("url").endsWith("/down")) {
          // the older version's is skipped once the newer one is queued behind it
          assertThat(d.getString("state")).isIn("PENDING", "DEAD", "SKIPPED");
          assertThat(d.getInteger("attempts")).isPositive();
          assertThat(d.getInteger("lastStatus")).isEqualTo(503);
          assertThat(d.getString("responseExcerpt")).isEqualTo("down for maintenance until 18:00");
        } else {
          assertThat(d.getString("state")).isEqualTo("DELIVERED");
          assertThat(d.getInteger("attempts")).isEqualTo(1);
          assertThat(d.getInteger("lastStatus")).isEqualTo(200);
          assertThat(d.getString("deliveredAt")).isNotNull();
          deliveries = ofSubscriber;
        }
      }
    }
    assertThat(deliveries).as("the subscriber that answers").isNotNull();
    JsonObject newestToDown = subscribers.stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("url").endsWith("/down")).findFirst().orElseThrow()
        .getJsonArray("deliveries").getJsonObject(0);
    assertThat(newestToDown.getString("state")).isIn("PENDING", "DEAD");

    // The stored document, as the ISO served it.
    String href = versions.getJsonObject(0).getJsonObject("document").getString("href");
    HttpResponse<byte[]> document = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + receiver.app.adminPort() + href))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(document.statusCode()).isEqualTo(200);
    assertThat(document.headers().firstValue("content-type").orElse("")).contains("xml");
    assertThat(document.headers().firstValue("cache-control")).as("an operator's copy is not cached")
        .hasValue("private, no-store");
    String payloadId = href.substring(href.lastIndexOf('/') + 1);
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(document.body())))
        .isEqualTo(TestDatabase.rows(db, "SELECT sha256 FROM payload WHERE id = ?", Long.parseLong(payloadId))
            .get(0).get("sha256"));
    assertThat(new String(document.body(), StandardCharsets.UTF_8)).contains(mrid);

    // The event's deliveries, by the event id the history names.
    String eventId = versions.getJsonObject(0).getString("eventId");
    JsonObject ofEvent = get("/api/v1/events/" + eventId + "/deliveries");
    assertThat(ofEvent.getString("outageMRID")).isEqualTo(mrid);
    assertThat(ofEvent.getJsonArray("items")).hasSize(2);
    assertThat(ofEvent.getJsonArray("items").stream().map(d -> ((JsonObject) d).getString("id")))
        .contains(deliveries.getJsonObject(0).getString("id"));
  }

  @Test
  void unknown_outages_events_and_documents_are_404_problems() throws Exception {
    assertProblem("/api/v1/outages/default/NO-SUCH-OUTAGE", 404, "no outage NO-SUCH-OUTAGE");
    assertProblem("/api/v1/outages/SC_9/NO-SUCH-OUTAGE", 404, "participant SC_9");
    assertProblem("/api/v1/outages/not%20a%20key/X", 404, "no outage");
    assertProblem("/api/v1/outages/default/" + "X".repeat(41), 404, "no outage");
    assertProblem("/api/v1/events/" + UUID.randomUUID() + "/deliveries", 404, "no event");
    assertProblem("/api/v1/events/not-an-id/deliveries", 404, "no event");
    assertProblem("/api/v1/payloads/999999999", 404, "no such payload");
    assertProblem("/api/v1/payloads/x", 404, "no payload");
  }

  @Test
  void outages_are_filtered_and_paged_with_a_cursor_that_holds_while_new_outages_arrive() throws Exception {
    String prefix = unique("PAGE");
    for (int i = 0; i < 5; i++) {
      pushOutage(prefix + "-" + i);
    }
    String query = "/api/v1/outages?limit=2&q=" + q(prefix);

    JsonObject first = get(query);
    pushOutage(prefix + "-new");
    JsonObject second = get(query + "&cursor=" + first.getString("nextCursor"));
    JsonObject third = get(query + "&cursor=" + second.getString("nextCursor"));

    assertThat(mrids(first)).containsExactly(prefix + "-4", prefix + "-3");
    assertThat(mrids(second)).containsExactly(prefix + "-2", prefix + "-1");
    assertThat(mrids(third)).containsExactly(prefix + "-0");
    assertThat(third.containsKey("nextCursor")).isFalse();
    assertThat(mrids(get(query))).containsExactly(prefix + "-new", prefix + "-4");

    String all = "/api/v1/outages?q=" + q(prefix);
    assertThat(mrids(get(all + "&participant=default"))).hasSize(6);
    assertThat(mrids(get(all + "&participant=SC_2"))).isEmpty();
    assertThat(mrids(get(all + "&type=resource"))).hasSize(6);
    assertThat(mrids(get(all + "&type=TRANSMISSION"))).isEmpty();
    assertThat(mrids(get(all + "&status=received"))).hasSize(6);
    assertThat(mrids(get(all + "&status=APPROVED"))).isEmpty();
    assertThat(mrids(get(all + "&changedSince=" + q(OffsetDateTime.now().minusHours(1).toString())))).hasSize(6);
    assertThat(mrids(get(all + "&changedSince=" + q(OffsetDateTime.now().plusHours(1).toString())))).isEmpty();
    assertThat(mrids(get("/api/v1/outages?q=" + q(prefix.substring(3) + "-4")))).as("part of the mRID")
        .containsExactly(prefix + "-4");
  }

  @Test
  void bad_parameters_get_a_400_problem_that_names_them() throws Exception {
    assertProblem("/api/v1/outages?limit=0", 400, "limit must be a whole number from 1 to 500");
    assertProblem("/api/v1/outages?limit=501", 400, "limit");
    assertProblem("/api/v1/outages?limit=ten", 400, "limit");
    assertProblem("/api/v1/outages?cursor=not-a-cursor", 400, "cursor is not one this listing handed out");
    assertProblem("/api/v1/outages?changedSince=yesterday", 400, "changedSince must be an RFC 3339 time");
    assertProblem("/api/v1/outages?participant=no%20key", 400, "participant must be a participant key");
    assertProblem("/api/v1/outages?q=" + "x".repeat(41), 400, "q is part of an mRID");
    assertProblem("/api/v1/outages?stauts=DEAD", 400, "unknown parameter 'stauts'");
    assertProblem("/api/v1/outages?limit=1&limit=2", 400, "limit is given more than once");
    assertProblem("/api/v1/market-events?since=2026-13-01", 400, "since must be an RFC 3339 time");
    assertProblem("/api/v1/market-events?status=x", 400, "unknown parameter 'status'");
    String prefix = unique("CURSOR");
    pushOutage(prefix + "-1");
    pushOutage(prefix + "-2");
    String outageCursor = get("/api/v1/outages?limit=1&q=" + prefix).getString("nextCursor");
    assertProblem("/api/v1/market-events?cursor=" + outageCursor, 400, "cursor is not one this listing handed out");
  }

  @Test
  void market_events_are_listed_newest_first_in_pages_with_their_deliveries() throws Exception {
    String market = unique("MKT").toUpperCase();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String id = unique("EV");
      ids.add(id);
      assertThat(await(publisher.publish(new MarketEvent(id, "MARKET_CLOSED", market, LocalDate.of(2026, 11, 21),
          Instant.now().truncatedTo(ChronoUnit.MILLIS), "closed", null))).statusCode()).isEqualTo(200);
    }
    eventually("3 market events delivered", () -> TestDatabase.queryLong(db, "SELECT count(*) FROM delivery d "
        + "JOIN event e ON e.id = d.event_id WHERE e.market = ? AND d.state = 'DELIVERED'", market) == 3);

    String query = "/api/v1/market-events?limit=2&market=" + market.toLowerCase();
    JsonObject first = get(query);
    JsonObject second = get(query + "&cursor=" + first.getString("nextCursor"));

    assertThat(eventIds(first)).containsExactly(ids.get(2), ids.get(1));
    assertThat(eventIds(second)).containsExactly(ids.get(0));
    assertThat(second.containsKey("nextCursor")).isFalse();
    JsonObject item = first.getJsonArray("items").getJsonObject(0);
    assertThat(item.getString("participant")).isEqualTo("default");
    assertThat(item.getString("fanoutState")).isEqualTo("READY");
    assertThat(item.getString("messageId")).isNotNull();
    JsonObject deliveries = get(item.getString("deliveries"));
    assertThat(deliveries.getString("type")).isEqualTo("market.event");
    assertThat(deliveries.getJsonArray("items").getJsonObject(0).getString("state")).isEqualTo("DELIVERED");
    assertThat(deliveries.getJsonArray("items").getJsonObject(0).getInteger("lastStatus")).isEqualTo(200);

    assertThat(eventIds(get("/api/v1/market-events?market=" + market + "&participant=SC_2"))).isEmpty();
    assertThat(eventIds(get("/api/v1/market-events?market=" + market + "&since="
        + q(OffsetDateTime.now().plusHours(1).toString())))).isEmpty();
    assertThat(eventIds(get("/api/v1/market-events?market=" + market + "&since="
        + q(OffsetDateTime.now().minusHours(1).toString())))).hasSize(3);
  }

  private static List<String> eventIds(JsonObject page) {
    List<String> out = new ArrayList<>();
    page.getJsonArray("items").forEach(o -> out.add(((JsonObject) o).getString("eventId")));
    return out;
  }
}
