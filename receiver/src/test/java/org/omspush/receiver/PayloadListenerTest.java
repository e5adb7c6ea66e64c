package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/** Payload links: HTTPS on a listener of their own, which serves nothing else; the admin port serves no payloads. */
class PayloadListenerTest {
  private static final String TOKEN = "test-admin-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static TestReceiver receiver;
  static Vertx vertx;
  static WebClient trusting;
  static WebClient plain;
  static HttpServer hook;
  static final List<JsonObject> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    db = TestDatabase.fresh();
    // every payload goes by link
    receiver = TestReceiver.start(pki, db, Map.of("OMS_ADMIN_TOKEN", TOKEN, "OMS_INLINE_PAYLOAD_MAX", "0"));
    vertx = Vertx.vertx();
    trusting = WebClient.create(vertx, new WebClientOptions()
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.serverCa().certificateFile().toString())));
    plain = WebClient.create(vertx);
    hook = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      received.add(b.toJsonObject());
      req.response().end();
    })).listen(0, "127.0.0.1"));
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
    receiver.close();
  }

  @Test
  void a_payload_link_is_https_on_the_payload_port_and_downloads_the_stored_bytes() throws Exception {
    HttpResponse<Buffer> created = await(plain.post(receiver.app.adminPort(), "127.0.0.1", "/api/v1/subscribers")
        .bearerTokenAuthentication(TOKEN)
        .sendJsonObject(new JsonObject().put("url", "http://127.0.0.1:" + hook.actualPort() + "/hook")
            .put("eventTypes", new JsonArray().add("market.event"))));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    byte[] xml = ("<Document>" + "x".repeat(20_000) + "</Document>").getBytes(StandardCharsets.UTF_8);
    String eventId = storeMarketEventWithPayload(xml);

    JsonObject payload = awaitDelivery(eventId).getJsonObject("data").getJsonObject("payload");
    URI link = URI.create(payload.getString("url"));
    assertThat(link.getScheme()).isEqualTo("https");
    assertThat(link.getPort()).isEqualTo(receiver.app.payloadPort()).isNotEqualTo(receiver.app.adminPort());
    assertThat(link.getPath()).startsWith("/payloads/");

    HttpResponse<Buffer> download = await(trusting.getAbs(link.toString()).send());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.bodyAsBuffer().getBytes()).isEqualTo(xml);
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.bodyAsBuffer().getBytes())))
        .isEqualTo(payload.getString("sha256"));

    HttpResponse<Buffer> onAdminPort = await(plain.get(receiver.app.adminPort(), "127.0.0.1",
        link.getRawPath() + "?" + link.getRawQuery()).send());
    assertThat(onAdminPort.statusCode()).as("the admin port serves no payloads").isEqualTo(404);
  }

  @Test
  void the_admin_api_is_not_reachable_on_the_payload_port() {
    HttpResponse<Buffer> answer = await(trusting.get(receiver.app.payloadPort(), "localhost", "/api/v1/subscribers")
        .ssl(true).bearerTokenAuthentication(TOKEN).send());
    assertThat(answer.statusCode()).isEqualTo(404);
    assertThat(answer.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(answer.bodyAsString()).doesNotContain("\"items\"");
  }

  @Test
  void the_payload_port_speaks_only_tls() {
    var attempt = plain.get(receiver.app.payloadPort(), "127.0.0.1", "/payloads/1?expires=1&sig=x")
        .timeout(10_000).send().toCompletionStage().toCompletableFuture();
    boolean answered;
    try {
      answered = attempt.get().statusCode() > 0;
    } catch (Exception e) {
      answered = false;
    }
    assertThat(answered).as("a plain HTTP request gets no HTTP answer from the payload port").isFalse();
  }

  /** A market event with a payload, as the redemption would commit it; the trigger makes its deliveries. */
  private static String storeMarketEventWithPayload(byte[] xml) throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(xml);
    }
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(xml));
    long payloadId = TestDatabase.queryLong(db, "INSERT INTO payload (content_type, content_gzip, size_bytes, sha256) "
        + "VALUES ('application/xml', ?, ?, ?) RETURNING id", gz.toByteArray(), (long) xml.length, sha);
    String eventId = UUID.randomUUID().toString();
    TestDatabase.execute(db, "INSERT INTO event (id, type, subject, time, market, event_type, data, payload_id) "
        + "VALUES (?::uuid, 'market.event', 'DAM/2026-12-07', now(), 'DAM', 'MARKET_CLOSED', ?::jsonb, ?)",
        eventId, new JsonObject().put("eventId", "EV-" + eventId).encode(), payloadId);
    return eventId;
  }

  private static JsonObject awaitDelivery(String eventId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonObject e : received) {
        if (eventId.equals(e.getString("id"))) {
          return e;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the event never reached the subscriber");
  }
}
