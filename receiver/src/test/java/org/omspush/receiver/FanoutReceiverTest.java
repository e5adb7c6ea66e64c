package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import com.standardwebhooks.Webhook;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.store.testing.TestDatabase;

/** The fan-out inside the receiver: the admin API as scripts use it, and a push that reaches a subscriber. */
class FanoutReceiverTest {
  private static final String TOKEN = "test-admin-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static DevPki pki;
  static TestReceiver receiver;
  static Vertx vertx;
  static HttpClient http;
  static HttpServer hook;
  static final List<Map.Entry<Map<String, List<String>>, String>> received = new CopyOnWriteArrayList<>();

  record Answer(int status, String contentType, Map<String, String> headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of("OMS_ADMIN_TOKEN", TOKEN));
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    hook = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      Map<String, List<String>> headers = new HashMap<>();
      req.headers().forEach(e -> headers.computeIfAbsent(e.getKey().toLowerCase(), k -> new ArrayList<>()).add(e.getValue()));
      received.add(Map.entry(headers, b.toString()));
      req.response().end();
    })).listen(0, "127.0.0.1"));
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
    receiver.close();
  }

  private static Answer call(HttpMethod method, String path, String token, Object body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(receiver.app.adminPort())
        .setURI(path);
    if (token != null) {
      o.putHeader("Authorization", "Bearer " + token);
    }
    // body() chained on send() itself, not on an outer compose: see SubscriberHttp.exchange
    return await(http.request(o).compose(req -> {
      if (body != null) {
        req.putHeader("Content-Type", "application/json");
      }
      return (body == null ? req.send() : req.send(Buffer.buffer(body.toString()))).compose(resp -> resp.body().map(b -> {
        Map<String, String> h = new HashMap<>();
        resp.headers().forEach(e -> h.put(e.getKey().toLowerCase(), e.getValue()));
        return new Answer(resp.statusCode(), resp.getHeader("Content-Type"), h, b.toString());
      }));
    }));
  }

  private static Answer call(HttpMethod method, String path, Object body) {
    return call(method, path, TOKEN, body);
  }

  private static void assertProblem(Answer a, int status, String type) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.contentType()).isEqualTo("application/problem+json");
    assertThat(a.json().getInteger("status")).isEqualTo(status);
    assertThat(a.json().getString("type")).isEqualTo("urn:omspush:problem:" + type);
    assertThat(a.json().getString("title")).isNotBlank();
  }

  private static String hookUrl() {
    return "http://127.0.0.1:" + hook.actualPort() + "/hook";
  }

  @Test
  void a_market_event_push_without_a_claim_check_reaches_a_subscriber() {
    Answer created = call(HttpMethod.POST, "/api/v1/subscribers",
        new JsonObject().put("url", hookUrl()).put("eventTypes", new JsonArray().add("market.event")));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String secret = created.json().getString("secret");

    Instant eventTime = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    MarketEvent event = new MarketEvent("EV-" + UUID.randomUUID(), "MARKET_CLOSED", "DAM", LocalDate.of(2026, 11, 21),
        eventTime, "DAM closed", null);
    PushMessage m = PushMessage.marketEvent(event).build();
    assertThat(receiver.push(PushMessage.MARKET_EVENT_ACTION, PushSigner.of(pki.isoPushClient())
        .sign(m, Algorithm.RSA_SHA256)).statusCode()).isEqualTo(200);

    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (received.stream().noneMatch(r -> r.getValue().contains(event.eventId())) && System.nanoTime() < deadline) {
      sleep(20);
    }
    var delivery = received.stream().filter(r -> r.getValue().contains(event.eventId())).findFirst().orElseThrow(
        () -> new AssertionError("the market event never reached the subscriber"));
    try {
      new Webhook(secret).verify(delivery.getValue(), delivery.getKey());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    JsonObject ce = new JsonObject(delivery.getValue());
    assertThat(ce.getString("type")).isEqualTo("org.omspush.market.event");
    assertThat(ce.getString("source")).isEqualTo("urn:omspush:receiver:default");
    assertThat(ce.getString("subject")).isEqualTo("DAM/2026-11-21");
    assertThat(ce.getString("time")).isEqualTo(eventTime.toString().replace("Z", "").length() == 19
        ? eventTime.toString().replace("Z", ".000Z") : eventTime.toString());
    JsonObject data = ce.getJsonObject("data");
    assertThat(data.getString("eventId")).isEqualTo(event.eventId());
    assertThat(data.getString("messageId")).isEqualTo(m.messageId());
    assertThat(data.containsKey("payload")).isFalse();
    assertThat(delivery.getKey().get("content-type")).containsExactly("application/cloudevents+json");
  }

  @Test
  void the_admin_api_answers_401_without_the_right_token() {
    for (String token : new String[] {null, "wrong-token-wrong-token", TOKEN + "x", ""}) {
      Answer a = call(HttpMethod.GET, "/api/v1/subscribers", token, null);
      assertProblem(a, 401, "unauthorized");
      assertThat(a.headers().get("www-authenticate")).startsWith("Bearer");
    }
    assertThat(call(HttpMethod.GET, "/api/v1/subscribers", null).status()).isEqualTo(200);
  }

  @Test
  void subscribers_are_created_listed_changed_and_deleted_with_problem_details_for_mistakes() {
    JsonObject request = new JsonObject().put("url", hookUrl())
        .put("eventTypes", new JsonArray().add("outage.status-changed").add("market.event"))
        .put("secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").put("outageTypes", new JsonArray().add("RESOURCE"));
    Answer created = call(HttpMethod.POST, "/api/v1/subscribers", request);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.contentType()).isEqualTo("application/json");
    JsonObject s = created.json();
    String id = s.getString("id");
    assertThat(created.headers().get("location")).isEqualTo("/api/v1/subscribers/" + id);
    assertThat(s.getString("secret")).isEqualTo("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assertThat(s.getJsonArray("outageTypes")).containsExactly("RESOURCE");
    assertThat(s.getBoolean("enabled")).isTrue();

    Answer got = call(HttpMethod.GET, "/api/v1/subscribers/" + id, null);
    assertThat(got.json().containsKey("secret")).as("the secret is shown only on creation and rotation").isFalse();
    assertThat(call(HttpMethod.GET, "/api/v1/subscribers", null).json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("id"))).contains(id);

    Answer patched = call(HttpMethod.PATCH, "/api/v1/subscribers/" + id,
        new JsonObject().put("enabled", false).put("markets", new JsonArray().add("dam")));
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    assertThat(patched.json().getBoolean("enabled")).isFalse();
    assertThat(patched.json().getJsonArray("markets")).containsExactly("DAM");
    assertThat(patched.json().getJsonArray("outageTypes")).containsExactly("RESOURCE");

    Answer rotated = call(HttpMethod.POST, "/api/v1/subscribers/" + id + "/secrets/rotate",
        new JsonObject().put("previousSecretExpiresIn", "1h"));
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    assertThat(rotated.json().getString("secret")).startsWith("whsec_").isNotEqualTo(s.getString("secret"));
    assertThat(rotated.json().getJsonArray("secrets")).hasSize(2);

    Answer dead = call(HttpMethod.GET, "/api/v1/subscribers/" + id + "/deliveries?state=dead", null);
    assertThat(dead.status()).isEqualTo(200);
    assertThat(dead.json().getJsonArray("items")).isEmpty();
    assertThat(call(HttpMethod.GET, "/api/v1/subscribers/" + id + "/dead-letters", null).status()).isEqualTo(200);
    Answer replay = call(HttpMethod.POST, "/api/v1/subscribers/" + id + "/replay", null);
    assertThat(replay.status()).as(replay.body()).isEqualTo(200);
    assertThat(replay.json().getInteger("replayed")).isZero();
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers/" + id + "/replay",
        new JsonObject().put("deliveryId", UUID.randomUUID().toString())), 404, "not-found");
    assertThat(call(HttpMethod.GET, "/api/v1/claims?state=pending", null).json().getJsonArray("items")).isNotNull();
    assertProblem(call(HttpMethod.GET, "/api/v1/claims?state=lost", null), 400, "invalid-request");

    assertThat(call(HttpMethod.DELETE, "/api/v1/subscribers/" + id, null).status()).isEqualTo(204);
    assertProblem(call(HttpMethod.GET, "/api/v1/subscribers/" + id, null), 404, "not-found");
    assertProblem(call(HttpMethod.GET, "/api/v1/subscribers/not-a-uuid", null), 404, "not-found");
    assertProblem(call(HttpMethod.GET, "/api/v1/subscribers/" + id + "/deliveries?state=lost", null), 400,
        "invalid-subscriber");
  }

  @Test
  void mistakes_and_internal_destinations_are_refused_as_problem_details() {
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers", "{not json"), 400, "invalid-json");
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers",
        new JsonObject().put("url", hookUrl()).put("evenTypes", new JsonArray().add("market.event"))), 400,
        "invalid-subscriber");
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers",
        new JsonObject().put("url", hookUrl()).put("eventTypes", new JsonArray().add("outage.deleted"))), 400,
        "invalid-subscriber");
    for (String url : List.of("https://169.254.169.254/latest/meta-data", "https://10.0.0.8/hook",
        "https://[fd00:ec2::254]/", "https://127.0.0.2/hook", "ftp://127.0.0.1/")) {
      Answer a = call(HttpMethod.POST, "/api/v1/subscribers",
          new JsonObject().put("url", url).put("eventTypes", new JsonArray().add("market.event")));
      assertProblem(a, 400, "destination-refused");
    }
    assertProblem(call(HttpMethod.GET, "/api/v1/nothing-here", null), 404, "not-found");
    assertProblem(call(HttpMethod.GET, "/payloads/1?expires=1&sig=x", null, null), 404, "not-found");
  }

  @Test
  void without_a_token_the_admin_api_stays_off() throws Exception {
    try (TestReceiver off = TestReceiver.start(pki, TestDatabase.fresh(), Map.of("OMS_ADMIN_TOKEN", ""))) {
      Answer a = await(http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
              .setPort(off.app.adminPort()).setURI("/api/v1/subscribers").putHeader("Authorization", "Bearer x"))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(),
              resp.getHeader("Content-Type"), Map.of(), b.toString())))));
      assertProblem(a, 403, "admin-api-off");
      assertThat(a.json().getString("detail")).contains("OMS_ADMIN_TOKEN");
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
