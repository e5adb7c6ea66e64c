package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.omspush.fanout.Harness.await;
import static org.omspush.fanout.Harness.eventually;

import com.standardwebhooks.Webhook;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.omspush.fanout.Hook.Reply;
import org.omspush.store.fanout.Breaker;
import org.omspush.store.fanout.DeliveryRecord;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.testing.TestDatabase;

/** The fan-out end to end: events inserted as producers insert them, real HTTP subscribers on loopback. */
class FanOutTest extends FanoutTestBase {
  private static String mrid() {
    return "OUT-" + UUID.randomUUID().toString().substring(0, 12);
  }

  private static void verify(Subscriber s, Hook.Received r) {
    try {
      new Webhook(s.secrets().get(0).secret()).verify(r.body(), r.headerMap());
    } catch (Exception e) {
      throw new AssertionError("signature does not verify: " + e, e);
    }
  }

  @Test
  void a_subscriber_naming_one_participant_gets_only_its_events_with_the_participant_attribute() {
    fanout = Harness.start(vertx);
    Hook onlyA = hook();
    Hook everyone = hook();
    fanout.subscribe(SubscriberDraft.of(onlyA.url(), List.of("outage.status-changed")).withParticipants(List.of("SC_A")));
    fanout.subscribe(everyone, "outage.status-changed");
    String mrid = mrid();
    OffsetDateTime now = OffsetDateTime.now(java.time.ZoneOffset.UTC);
    JsonObject data = new JsonObject().put("outageMRID", mrid).put("version", 1);
    UUID ofA = fanout.event("outage.status-changed", mrid, now, mrid, 1L, "RESOURCE", null, null, data, null, "SC_A");
    UUID ofB = fanout.event("outage.status-changed", mrid, now, mrid, 1L, "RESOURCE", null, null, data, null, "SC_B");

    eventually("the subscriber of everyone got both", () -> everyone.posts().size() == 2);
    eventually("the subscriber of SC_A got its event", () -> onlyA.posts().size() == 1);
    Harness.stays(Duration.ofMillis(400), "and not SC_B's", () -> onlyA.posts().size() == 1);
    assertThat(onlyA.posts().get(0).json().getString("id")).isEqualTo(ofA.toString());
    assertThat(onlyA.posts().get(0).json().getString("participant")).isEqualTo("SC_A");
    Map<String, String> participantById = new HashMap<>();
    everyone.posts().forEach(r -> participantById.put(r.json().getString("id"), r.json().getString("participant")));
    assertThat(participantById).isEqualTo(Map.of(ofA.toString(), "SC_A", ofB.toString(), "SC_B"));
  }

  @Test
  void three_subscribers_with_different_filters_get_exactly_their_events() {
    fanout = Harness.start(vertx);
    Hook outages = hook();
    Hook markets = hook();
    Hook resourcesAndDam = hook();
    Subscriber sOutages = fanout.subscribe(outages, "outage.status-changed");
    Subscriber sMarkets = fanout.subscribe(markets, "market.event");
    Subscriber sBoth = fanout.subscribe(SubscriberDraft.of(resourcesAndDam.url(),
            List.of("org.omspush.outage.status-changed", "market.event"))
        .withFilters(List.of("resource"), List.of("DAM")));

    UUID resource = fanout.outageEvent(mrid(), 1, "RESOURCE", null);
    UUID transmission = fanout.outageEvent(mrid(), 1, "TRANSMISSION", null);
    UUID dam = fanout.marketEvent("DAM", "MARKET_DELAY");
    UUID rtm = fanout.marketEvent("RTM", "MARKET_DELAY");

    eventually("every subscriber got its events", () -> outages.posts().size() == 2 && markets.posts().size() == 2
        && resourcesAndDam.posts().size() == 2);
    Harness.stays(Duration.ofMillis(400), "no more than its events",
        () -> outages.posts().size() == 2 && markets.posts().size() == 2 && resourcesAndDam.posts().size() == 2);
    assertThat(ids(outages)).containsExactlyInAnyOrder(resource.toString(), transmission.toString());
    assertThat(ids(markets)).containsExactlyInAnyOrder(dam.toString(), rtm.toString());
    assertThat(ids(resourcesAndDam)).containsExactlyInAnyOrder(resource.toString(), dam.toString());
    outages.posts().forEach(r -> verify(sOutages, r));
    markets.posts().forEach(r -> verify(sMarkets, r));
    resourcesAndDam.posts().forEach(r -> verify(sBoth, r));
    assertThat(outages.posts().get(0).headers().get("Content-Type")).isEqualTo("application/cloudevents+json");
    assertThat(fanout.deliveries(sBoth.id(), "DELIVERED")).isEqualTo(2);
    assertThat(fanout.counter("delivered")).isEqualTo(6);
  }

  private static List<String> ids(Hook h) {
    return h.posts().stream().map(r -> r.json().getString("id")).toList();
  }

  @Test
  void the_envelope_is_cloudevents_structured_json_as_events_md_says() {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS.withInstanceName("west-1"));
    Hook h = hook();
    fanout.subscribe(h, "outage.status-changed", "market.event");
    String mrid = mrid();
    String xml = "<OutageDocument xmlns=\"urn:x\">Ünïcödé</OutageDocument>";
    UUID outage = fanout.outageEvent(mrid, 7, "RESOURCE", xml);
    UUID market = fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("both arrived", () -> h.posts().size() == 2);

    Map<String, JsonObject> byId = new HashMap<>();
    h.posts().forEach(r -> byId.put(r.json().getString("id"), r.json()));
    JsonObject o = byId.get(outage.toString());
    assertThat(o.fieldNames()).containsExactlyInAnyOrder("specversion", "id", "source", "type", "subject", "time",
        "datacontenttype", "outageversion", "participant", "data");
    assertThat(o.getString("participant")).as("a single-participant deployment's key").isEqualTo("default");
    assertThat(o.getString("specversion")).isEqualTo("1.0");
    assertThat(o.getString("source")).isEqualTo("urn:omspush:receiver:west-1");
    assertThat(o.getString("type")).isEqualTo("org.omspush.outage.status-changed");
    assertThat(o.getString("subject")).isEqualTo(mrid);
    assertThat(o.getString("datacontenttype")).isEqualTo("application/json");
    assertThat(o.getLong("outageversion")).isEqualTo(7);
    assertThat(o.getString("time")).isEqualTo(o.getJsonObject("data").getString("lastModified"));
    JsonObject data = o.getJsonObject("data");
    assertThat(data.getString("outageMRID")).isEqualTo(mrid);
    assertThat(data.getLong("version")).isEqualTo(7);
    assertThat(data.getString("previousStatus")).isEqualTo("RECEIVED");
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    assertThat(data.getJsonObject("payload")).isEqualTo(new JsonObject()
        .put("contentType", "application/xml").put("size", bytes.length).put("sha256", Harness.sha256(bytes))
        .put("xml", xml));

    JsonObject m = byId.get(market.toString());
    assertThat(m.getString("type")).isEqualTo("org.omspush.market.event");
    assertThat(m.getString("subject")).isEqualTo("DAM/2026-11-21");
    assertThat(m.containsKey("outageversion")).isFalse();
    assertThat(m.getString("participant")).isEqualTo("default");
    assertThat(m.getJsonObject("data").fieldNames())
        .containsExactlyInAnyOrder("eventId", "eventType", "market", "tradeDate", "eventTime", "description", "messageId");
    assertThat(m.getString("time")).isEqualTo(m.getJsonObject("data").getString("eventTime"));
  }

  @Test
  void a_subscriber_down_for_a_long_stretch_gets_everything_afterwards_in_version_order() {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS
        .withRetrySchedule(RetrySchedule.parse("100ms,200ms,400ms,800ms,1600ms,3s,3s,3s"))
        .withBreaker(new Breaker(3, 300, 600)));
    Hook h = hook();
    Subscriber s = fanout.subscribe(h, "outage.status-changed", "market.event");
    h.down();
    List<String> mrids = List.of(mrid(), mrid(), mrid());
    List<UUID> markets = new ArrayList<>();
    for (int version = 1; version <= 4; version++) {
      for (String m : mrids) {
        fanout.outageEvent(m, version, "RESOURCE", null);
      }
      markets.add(fanout.marketEvent("RTM", "MARKET_DELAY"));
      sleep(250);
    }
    sleep(1000);
    assertThat(h.posts()).isEmpty();
    h.up();

    eventually(Duration.ofSeconds(20), "the newest version of every outage and every market event arrived", () -> {
      Map<String, Long> newest = newestVersions(h);
      return mrids.stream().allMatch(m -> newest.getOrDefault(m, 0L) == 4L)
          && h.posts().stream().filter(r -> r.json().getString("type").endsWith("market.event")).count() == 4;
    });
    assertInVersionOrderPerOutage(h);
    assertThat(fanout.deliveries(s.id(), "DEAD")).isZero();
    assertThat(fanout.deliveries(s.id(), "PENDING")).isZero();
    assertThat(ids(h)).containsAll(markets.stream().map(UUID::toString).toList());
  }

  private static Map<String, Long> newestVersions(Hook h) {
    Map<String, Long> newest = new HashMap<>();
    for (Hook.Received r : h.posts()) {
      JsonObject e = r.json();
      if (e.containsKey("outageversion")) {
        newest.merge(e.getString("subject"), e.getLong("outageversion"), Math::max);
      }
    }
    return newest;
  }

  private static void assertInVersionOrderPerOutage(Hook h) {
    Map<String, Long> last = new HashMap<>();
    for (Hook.Received r : h.posts()) {
      JsonObject e = r.json();
      if (!e.containsKey("outageversion")) {
        continue;
      }
      long v = e.getLong("outageversion");
      Long before = last.put(e.getString("subject"), v);
      assertThat(before == null || before <= v)
          .as("outage %s: version %s arrived after %s", e.getString("subject"), v, before).isTrue();
    }
  }

  @Test
  void an_older_version_superseded_before_it_was_sent_is_skipped() {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS.withRetrySchedule(RetrySchedule.parse("1s,1s,1s")));
    Hook h = hook();
    AtomicInteger calls = new AtomicInteger();
    // the first attempt fails, so version 1 is pending (for a retry) when version 2 arrives
    h.answering(r -> calls.incrementAndGet() == 1 ? Reply.status(500) : Reply.ok());
    Subscriber s = fanout.subscribe(h, "outage.status-changed");
    String mrid = mrid();
    fanout.outageEvent(mrid, 1, "RESOURCE", null);
    eventually("version 1 was tried once", () -> h.posts().size() == 1);
    fanout.outageEvent(mrid, 2, "RESOURCE", null);
    eventually("version 2 arrived", () -> newestVersions(h).getOrDefault(mrid, 0L) == 2L);
    Harness.stays(Duration.ofMillis(1500), "version 1 is never sent after version 2", () -> h.posts().size() == 2);
    assertThat(fanout.deliveries(s.id(), "SKIPPED")).isEqualTo(1);
    assertThat(fanout.deliveries(s.id(), "DELIVERED")).isEqualTo(1);
    assertThat(fanout.counter("skipped")).isEqualTo(1);
  }

  @Test
  void versions_of_one_outage_are_never_in_flight_together() {
    fanout = Harness.start(vertx);
    Hook h = hook();
    AtomicInteger open = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    h.answering(r -> {
      most.accumulateAndGet(open.incrementAndGet(), Math::max);
      vertx.setTimer(150, t -> open.decrementAndGet());
      return Reply.slow(Duration.ofMillis(150));
    });
    fanout.subscribe(SubscriberDraft.of(h.url(), List.of("outage.status-changed")).withMaxInFlight(8));
    String mrid = mrid();
    for (int v = 1; v <= 6; v++) {
      fanout.outageEvent(mrid, v, "RESOURCE", null);
      sleep(60);
    }
    eventually("the newest version arrived", () -> newestVersions(h).getOrDefault(mrid, 0L) == 6L);
    assertInVersionOrderPerOutage(h);
    assertThat(most.get()).as("requests of one outage open at once").isEqualTo(1);
  }

  @Test
  void answer_410_disables_the_subscriber() {
    fanout = Harness.start(vertx);
    Hook h = hook().answering(r -> Reply.status(410));
    Subscriber s = fanout.subscribe(h, "market.event");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("the subscriber is disabled", () -> !await(fanout.fanout.subscribers().get(s.id())).enabled());
    Subscriber now = await(fanout.fanout.subscribers().get(s.id()));
    assertThat(now.disabledReason()).contains("410");
    int seen = h.posts().size();
    // the second event may have come after the first 410 and found the subscriber disabled
    long written = TestDatabase.count(fanout.db, "delivery", "subscriber_id = ?", s.id());
    assertThat(written).isBetween(1L, 2L);
    fanout.marketEvent("DAM", "MARKET_DELAY");
    Harness.stays(Duration.ofMillis(500), "nothing more is sent", () -> h.posts().size() == seen);
    assertThat(TestDatabase.count(fanout.db, "delivery", "subscriber_id = ?", s.id()))
        .as("a disabled subscriber gets no new deliveries").isEqualTo(written);
    assertThat(fanout.deliveries(s.id(), "DEAD")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void a_slow_subscriber_does_not_delay_a_fast_one() {
    // The slow one answers nothing for longer than the test waits: the fast one must get
    // everything while the slow one's first deliveries are still in flight.
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS.withDeliveryTimeout(Duration.ofSeconds(90)));
    Hook slow = hook().answering(r -> Reply.slow(Duration.ofSeconds(120)));
    Hook fast = hook();
    fanout.subscribe(SubscriberDraft.of(slow.url(), List.of("market.event")).withMaxInFlight(2));
    fanout.subscribe(fast, "market.event");
    for (int i = 0; i < 20; i++) {
      fanout.marketEvent("DAM", "MARKET_DELAY");
    }
    eventually(Duration.ofSeconds(30), "the fast subscriber got all 20 and the slow one its first",
        () -> fast.posts().size() == 20 && !slow.posts().isEmpty());
    assertThat(slow.answered.get()).as("the slow subscriber has answered nothing yet").isZero();
    assertThat(slow.posts().size()).as("the slow one has at most its limit in flight").isLessThanOrEqualTo(2);
  }


  @Test
  void a_stopped_worker_gives_back_the_lease_of_a_delivery_without_counting_the_attempt() {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS.withDeliveryTimeout(Duration.ofSeconds(30)));
    Hook h = hook().answering(r -> Reply.slow(Duration.ofSeconds(20)));
    Subscriber s = fanout.subscribe(h, "market.event");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("the delivery is sent", () -> h.posts().size() == 1);
    assertThat(TestDatabase.count(fanout.db, "delivery", "subscriber_id = ? AND lease_until > now() AND attempts = 1",
        s.id())).as("leased while the subscriber takes its time").isEqualTo(1);

    fanout.stopWorkers();

    assertThat(TestDatabase.count(fanout.db, "delivery",
        "subscriber_id = ? AND state = 'PENDING' AND lease_owner IS NULL AND lease_until IS NULL AND attempts = 0",
        s.id())).as("given back, the unanswered attempt not counted").isEqualTo(1);
  }

  @Test
  void a_claim_that_completes_as_the_worker_stops_is_given_back_not_sent() throws Exception {
    fanout = Harness.withoutWorkers(vertx);
    Hook h = hook();
    Subscriber s = fanout.subscribe(h, "market.event");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    try (java.sql.Connection lock = TestDatabase.connect(fanout.db)) {
      // the claim's UPDATE waits on this row lock: a claim in progress when the stop comes
      lock.setAutoCommit(false);
      try (var st = lock.prepareStatement("SELECT id FROM delivery WHERE subscriber_id = ? FOR UPDATE")) {
        st.setObject(1, s.id());
        st.executeQuery().close();
      }
      fanout.startWorkers(1);
      eventually("the claim waits on the row lock", () -> TestDatabase.count(fanout.db, "pg_stat_activity",
          "wait_event_type = 'Lock' AND query LIKE '%WITH subs AS MATERIALIZED%'") == 1);
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(fanout::stopWorkers);
      sleep(300);
      lock.commit();
      stopped.get(30, TimeUnit.SECONDS);
    }

    Harness.stays(Duration.ofMillis(500), "nothing is sent", () -> h.posts().isEmpty());
    assertThat(TestDatabase.count(fanout.db, "delivery",
        "subscriber_id = ? AND state = 'PENDING' AND lease_owner IS NULL AND attempts = 0", s.id()))
        .as("given back, the attempt not counted").isEqualTo(1);
  }

  @Test
  void dead_letters_keep_the_last_answer_and_replay() {
    fanout = Harness.start(vertx);
    Hook h = hook();
    h.answering(r -> new Reply(500, Map.of(), Duration.ZERO, "x".repeat(5000)));
    Subscriber s = fanout.subscribe(h, "market.event");
    UUID first = fanout.marketEvent("DAM", "MARKET_DELAY");
    UUID second = fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("both are dead letters after 4 attempts", () -> fanout.deliveries(s.id(), "DEAD") == 2);
    assertThat(h.posts()).hasSize(8);
    List<DeliveryRecord> dead = await(fanout.fanout.subscribers().deliveries(s.id(), "dead", 10, null, null));
    assertThat(dead).hasSize(2).allSatisfy(d -> {
      assertThat(d.lastStatus()).isEqualTo(500);
      assertThat(d.attempts()).isEqualTo(4);
      assertThat(d.lastResponse()).hasSize(2048);
      assertThat(d.lastError()).contains("HTTP 500").contains("the last");
    });
    // webhook-id is the delivery id, the same on every attempt
    assertThat(h.posts().stream().map(r -> r.headers().get("webhook-id")).distinct())
        .containsExactlyInAnyOrderElementsOf(dead.stream().map(d -> d.id().toString()).toList());

    h.answering(r -> Reply.ok());
    UUID one = dead.stream().filter(d -> d.eventId().equals(first)).findFirst().orElseThrow().id();
    assertThat(await(fanout.fanout.subscribers().replay(s.id(), one))).containsExactly(one);
    eventually("the one replayed arrived", () -> fanout.deliveries(s.id(), "DELIVERED") == 1);
    assertThat(h.posts().get(h.posts().size() - 1).json().getString("id")).isEqualTo(first.toString());
    assertThat(await(fanout.fanout.subscribers().replay(s.id(), null))).hasSize(1);
    eventually("all delivered", () -> fanout.deliveries(s.id(), "DELIVERED") == 2);
    assertThat(ids(h).subList(8, 10)).containsExactly(first.toString(), second.toString());
    assertThat(h.posts().get(9).headers().get("webhook-id"))
        .isEqualTo(dead.stream().filter(d -> d.eventId().equals(second)).findFirst().orElseThrow().id().toString());
  }

  @Test
  void retry_after_is_honoured_on_429_and_503() {
    fanout = Harness.start(vertx);
    Hook h = hook();
    AtomicInteger calls = new AtomicInteger();
    h.answering(r -> switch (calls.incrementAndGet()) {
      case 1 -> new Reply(503, Map.of("Retry-After", "2"), Duration.ZERO, "");
      case 2 -> new Reply(429, Map.of("Retry-After", "1"), Duration.ZERO, "");
      default -> Reply.ok();
    });
    Subscriber s = fanout.subscribe(h, "market.event");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("delivered on the third attempt", () -> fanout.deliveries(s.id(), "DELIVERED") == 1);
    List<Hook.Received> p = h.posts();
    assertThat(p).hasSize(3);
    assertThat(Duration.between(p.get(0).at(), p.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(1950));
    assertThat(Duration.between(p.get(1).at(), p.get(2).at())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }

  @Test
  void secret_rotation_signs_with_old_and_new_secrets_until_the_old_one_expires() {
    fanout = Harness.start(vertx);
    Hook h = hook();
    Subscriber s = fanout.subscribe(h, "market.event");
    String old = s.secrets().get(0).secret();
    Subscriber rotated = await(fanout.fanout.subscribers().rotateSecret(s.id(), null, Duration.ofSeconds(2)));
    String fresh = rotated.secrets().get(0).secret();
    assertThat(fresh).isNotEqualTo(old);
    assertThat(rotated.secrets()).hasSize(2);
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("delivered", () -> h.posts().size() == 1);
    Hook.Received r = h.posts().get(0);
    assertThat(r.headers().get("webhook-signature").split(" ")).hasSize(2);
    assertVerifies(old, r);
    assertVerifies(fresh, r);

    sleep(2100);
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("delivered", () -> h.posts().size() == 2);
    Hook.Received later = h.posts().get(1);
    assertThat(later.headers().get("webhook-signature").split(" ")).hasSize(1);
    assertVerifies(fresh, later);
    assertThatThrownBy(() -> new Webhook(old).verify(later.body(), later.headerMap()))
        .as("the expired secret no longer signs").isInstanceOf(Exception.class);
  }

  private static void assertVerifies(String secret, Hook.Received r) {
    try {
      new Webhook(secret).verify(r.body(), r.headerMap());
    } catch (Exception e) {
      throw new AssertionError("does not verify with " + secret.substring(0, 10) + "…: " + e, e);
    }
  }

  @Test
  void a_payload_over_the_threshold_arrives_as_a_url_that_fetches_the_exact_bytes() {
    int max = 1024;
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS.withPayloads(max, Duration.ofHours(1), null));
    Hook h = hook();
    Subscriber s = fanout.subscribe(h, "outage.status-changed");
    String exactly = "<a>" + "é".repeat((max - 8) / 2) + "x</a>";
    assertThat(exactly.getBytes(StandardCharsets.UTF_8).length).isEqualTo(max);
    String over = "<b>" + "x".repeat(max) + "</b>";
    String mExact = mrid();
    String mOver = mrid();
    fanout.outageEvent(mExact, 1, "RESOURCE", exactly);
    fanout.outageEvent(mOver, 1, "RESOURCE", over);
    eventually("both arrived", () -> h.posts().size() == 2);
    h.posts().forEach(r -> verify(s, r));
    JsonObject inline = payloadOf(h, mExact);
    assertThat(inline.getString("xml")).isEqualTo(exactly);
    assertThat(inline.containsKey("url")).isFalse();
    JsonObject linked = payloadOf(h, mOver);
    assertThat(linked.containsKey("xml")).isFalse();
    byte[] overBytes = over.getBytes(StandardCharsets.UTF_8);
    assertThat(linked.getLong("size")).isEqualTo(overBytes.length);
    assertThat(linked.getString("sha256")).isEqualTo(Harness.sha256(overBytes));

    String url = linked.getString("url");
    assertThat(url).startsWith(fanout.fanout.baseUrl() + "/payloads/");
    // one connection per request: each check stands on its own
    HttpClient client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
    try {
      var ok = await(client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> Map.entry(resp, b)))));
      assertThat(ok.getKey().statusCode()).isEqualTo(200);
      assertThat(ok.getKey().getHeader("Content-Type")).isEqualTo("application/xml");
      assertThat(Harness.sha256(ok.getValue().getBytes())).isEqualTo(linked.getString("sha256"));
      assertThat(ok.getValue().getBytes()).isEqualTo(overBytes);

      String tampered = url.replaceFirst("/payloads/(\\d+)", "/payloads/" + (Long.parseLong(
          url.replaceAll(".*/payloads/(\\d+)\\?.*", "$1")) - 1));
      assertThat(status(client, tampered)).isEqualTo(403);
      String badSig = url.substring(0, url.length() - 3) + (url.endsWith("AAA") ? "BBB" : "AAA");
      assertThat(status(client, badSig)).isEqualTo(403);
      String later = url.replaceAll("expires=(\\d+)", "expires=" + (System.currentTimeMillis() / 1000 + 999_999));
      assertThat(status(client, later)).as("a later expiry invalidates the signature").isEqualTo(403);
      // a correctly signed link that has expired
      String expired = fanout.fanout.payloadLinks().url(
          Long.parseLong(url.replaceAll(".*/payloads/(\\d+)\\?.*", "$1")), java.time.Instant.now().minus(Duration.ofHours(2)));
      assertThat(status(client, expired)).isEqualTo(403);
    } finally {
      await(client.close());
    }
  }

  @Test
  void a_payload_stored_in_chunks_downloads_as_xml_or_as_its_stored_gzip_when_the_client_accepts_gzip()
      throws Exception {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS);
    StringBuilder text = new StringBuilder("<OutageDocument xmlns=\"urn:omspush:v1\">");
    java.util.Random random = new java.util.Random(7);
    while (text.length() < 3 * 1024 * 1024) {
      text.append("<line>").append(Long.toString(random.nextLong(), 36)).append(" é</line>\n");
    }
    byte[] document = text.append("</OutageDocument>").toString().getBytes(StandardCharsets.UTF_8);
    long id = fanout.chunkedPayload(document, 64 * 1024);
    assertThat(TestDatabase.count(fanout.db, "payload_chunk", "payload_id = ?", id)).isGreaterThan(10);
    String url = fanout.fanout.payloadLinks().url(id, java.time.Instant.now());
    HttpClient client = vertx.createHttpClient();
    try {
      var plain = await(client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> Map.entry(resp, b)))));
      assertThat(plain.getKey().statusCode()).isEqualTo(200);
      assertThat(plain.getKey().getHeader("Content-Encoding")).isNull();
      assertThat(plain.getKey().getHeader("Content-Length")).isEqualTo(Integer.toString(document.length));
      assertThat(plain.getValue().getBytes()).isEqualTo(document);

      var gzipped = await(client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url)
              .putHeader("Accept-Encoding", "br;q=1.0, gzip;q=0.8"))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> Map.entry(resp, b)))));
      assertThat(gzipped.getKey().statusCode()).isEqualTo(200);
      assertThat(gzipped.getKey().getHeader("Content-Encoding")).isEqualTo("gzip");
      assertThat(gzipped.getKey().getHeader("ETag")).isNotEqualTo(plain.getKey().getHeader("ETag"));
      try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gzipped.getValue().getBytes()))) {
        assertThat(in.readAllBytes()).isEqualTo(document);
      }
    } finally {
      await(client.close());
    }
  }

  @Test
  void a_download_that_finds_every_transfer_slot_taken_answers_503_with_retry_after_and_is_served_once_one_frees() {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS);
    byte[] document = "<OutageDocument xmlns=\"urn:omspush:v1\"/>".getBytes(StandardCharsets.UTF_8);
    long id = fanout.chunkedPayload(document, 16);
    org.omspush.store.PayloadTransfers transfers = new org.omspush.store.PayloadTransfers(vertx, 1);
    org.omspush.store.PayloadTransfers.Slot held = await(transfers.acquire());
    PayloadDownloads downloads = new PayloadDownloads(fanout.fanout.payloadLinks(),
        new org.omspush.store.PayloadStore(fanout.pool), transfers, java.time.Clock.systemUTC(), Duration.ofMillis(300));
    io.vertx.ext.web.Router router = io.vertx.ext.web.Router.router(vertx);
    router.get("/payloads/:id").handler(downloads);
    io.vertx.core.http.HttpServer server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    String link = fanout.fanout.payloadLinks().url(id, java.time.Instant.now());
    String url = "http://127.0.0.1:" + server.actualPort() + link.substring(link.indexOf("/payloads/"));
    HttpClient client = vertx.createHttpClient();
    try {
      var busy = await(client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> Map.entry(resp, b)))));
      assertThat(busy.getKey().statusCode()).isEqualTo(503);
      assertThat(busy.getKey().getHeader("Retry-After")).isEqualTo("5");
      assertThat(new JsonObject(busy.getValue()).getString("detail")).contains("OMS_LARGE_TRANSFERS_MAX");

      held.close();
      var served = await(client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> Map.entry(resp, b)))));
      assertThat(served.getKey().statusCode()).isEqualTo(200);
      assertThat(served.getValue().getBytes()).isEqualTo(document);
      eventually("the download's slot given back", () -> transfers.inUse() == 0);
    } finally {
      await(client.close());
      await(server.close());
    }
  }

  @Test
  void gzip_refused_with_q_zero_is_not_sent() {
    assertThat(PayloadDownloads.acceptsGzip("gzip;q=0, identity")).isFalse();
    assertThat(PayloadDownloads.acceptsGzip("deflate, gzip")).isTrue();
    assertThat(PayloadDownloads.acceptsGzip(null)).isFalse();
  }

  private int status(HttpClient client, String url) {
    var opts = new io.vertx.core.http.RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(url);
    // body() chained on send() itself, not on an outer compose: see SubscriberHttp.exchange
    var answer = await(client.request(opts)
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> Map.entry(resp, b.toString())))));
    if (answer.getKey().statusCode() >= 400) {
      assertThat(answer.getKey().getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(new JsonObject(answer.getValue()).getInteger("status")).isEqualTo(answer.getKey().statusCode());
    }
    return answer.getKey().statusCode();
  }

  private static JsonObject payloadOf(Hook h, String mrid) {
    return h.posts().stream().map(Hook.Received::json).filter(j -> j.getString("subject").equals(mrid)).findFirst()
        .orElseThrow().getJsonObject("data").getJsonObject("payload");
  }

  @Test
  void a_host_that_resolves_inside_at_connect_time_is_refused_then() {
    Hook h = hook();
    // DNS rebinding: the name resolves to a public address when the subscriber is created and to
    // loopback when the worker connects; loopback is not on this guard's allow-list
    AtomicInteger lookups = new AtomicInteger();
    DestinationGuard guard = DestinationGuard.of("", true).withResolver(host -> new InetAddress[] {
        lookups.incrementAndGet() == 1 ? InetAddress.getByName("93.184.216.34") : InetAddress.getByName("127.0.0.1")});
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS.withGuard(guard));
    Subscriber s = fanout.subscribe(SubscriberDraft.of("http://rebinding.test:" + h.port() + "/hook",
        List.of("market.event")));
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("the delivery is a dead letter", () -> fanout.deliveries(s.id(), "DEAD") == 1);
    assertThat(h.received).as("nothing reached the loopback server").isEmpty();
    DeliveryRecord d = await(fanout.fanout.subscribers().deliveries(s.id(), "DEAD", 1, null, null)).get(0);
    assertThat(d.lastError()).contains("SSRF guard").contains("127.0.0.1").contains("loopback");
  }

  @Test
  void the_circuit_breaker_pauses_a_failing_subscriber_and_a_probe_closes_it() {
    fanout = Harness.start(vertx, Harness.TEST_SETTINGS
        .withRetrySchedule(RetrySchedule.parse("50ms,50ms,50ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms"))
        .withBreaker(new Breaker(3, 1_000, 1_000)));
    Hook h = hook().answering(r -> Reply.status(500));
    Subscriber s = fanout.subscribe(h, "market.event");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    eventually("the breaker opened", () -> await(fanout.fanout.subscribers().get(s.id())).pausedUntil() != null);
    int atPause = h.posts().size();
    assertThat(atPause).isEqualTo(3);
    Harness.stays(Duration.ofMillis(700), "no request while the breaker is open", () -> h.posts().size() == atPause);
    h.answering(r -> Reply.ok());
    eventually("the probe succeeded", () -> fanout.deliveries(s.id(), "DELIVERED") == 1);
    assertThat(await(fanout.fanout.subscribers().get(s.id())).consecutiveFailures()).isZero();
    assertThat(fanout.counter("circuit_open")).isGreaterThan(0);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
