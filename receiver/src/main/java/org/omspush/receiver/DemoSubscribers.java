package org.omspush.receiver;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Two of the participant's own systems for the demo: an outage desk that wants outage changes,
 * and a trading desk that wants everything. Each checks every webhook signature itself.
 */
final class DemoSubscribers {
  /** One local subscriber: what it asked for and what it got. */
  static final class Subscriber {
    final String name;
    final List<String> eventTypes;
    final AtomicInteger received = new AtomicInteger();
    final AtomicInteger badSignatures = new AtomicInteger();
    final AtomicInteger downloads = new AtomicInteger();
    final AtomicInteger badDownloads = new AtomicInteger();
    HttpServer server;
    volatile String secret;

    Subscriber(String name, List<String> eventTypes) {
      this.name = name;
      this.eventTypes = eventTypes;
    }
  }

  final List<Subscriber> all = List.of(
      new Subscriber("outage-desk", List.of("outage.status-changed")),
      new Subscriber("trading-desk", List.of("outage.status-changed", "market.event")));

  /**
   * @param serverCa the CA of the receiver's server certificate: payload links are HTTPS on the
   *                 receiver's payload port, and the subscribers trust only this CA for them
   */
  static Future<DemoSubscribers> start(Vertx vertx, Path serverCa) {
    DemoSubscribers s = new DemoSubscribers();
    WebClient downloads = WebClient.create(vertx, new WebClientOptions()
        .setTrustOptions(new PemTrustOptions().addCertPath(serverCa.toString())));
    List<Future<HttpServer>> started = new ArrayList<>();
    for (Subscriber sub : s.all) {
      started.add(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        if (verify(sub.secret, req.getHeader("webhook-id"), req.getHeader("webhook-timestamp"),
            req.getHeader("webhook-signature"), body.getBytes())) {
          sub.received.incrementAndGet();
          download(downloads, sub, body.toJsonObject());
        } else {
          sub.badSignatures.incrementAndGet();
        }
        req.response().setStatusCode(204).end();
      })).listen(0, "127.0.0.1").onSuccess(server -> sub.server = server));
    }
    return Future.all(started).map(s);
  }

  /** A payload that came as a link: fetched over HTTPS and checked against its SHA-256. */
  private static void download(WebClient client, Subscriber sub, JsonObject event) {
    JsonObject payload = event.getJsonObject("data", new JsonObject()).getJsonObject("payload");
    if (payload == null || payload.getString("url") == null) {
      return;
    }
    String url = payload.getString("url");
    if (!url.startsWith("https://")) {
      sub.badDownloads.incrementAndGet();
      return;
    }
    client.getAbs(url).send().onComplete(ar -> {
      boolean good = ar.succeeded() && ar.result().statusCode() == 200
          && sha256(ar.result().bodyAsBuffer().getBytes()).equals(payload.getString("sha256"));
      (good ? sub.downloads : sub.badDownloads).incrementAndGet();
    });
  }

  private static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Registers both through the admin API, as an operator's script would. */
  void register(Vertx vertx, int adminPort, String token) throws Exception {
    WebClient client = WebClient.create(vertx);
    try {
      for (Subscriber sub : all) {
        JsonObject body = new JsonObject()
            .put("url", "http://127.0.0.1:" + sub.server.actualPort() + "/hook")
            .put("description", "demo " + sub.name)
            .put("eventTypes", new JsonArray(sub.eventTypes));
        var res = client.post(adminPort, "127.0.0.1", "/api/v1/subscribers")
            .bearerTokenAuthentication(token)
            .sendJsonObject(body).toCompletionStage().toCompletableFuture().get();
        if (res.statusCode() != 201) {
          throw new IllegalStateException("registering " + sub.name + ": HTTP " + res.statusCode() + " "
              + res.bodyAsString());
        }
        sub.secret = res.bodyAsJsonObject().getString("secret");
      }
    } finally {
      client.close();
    }
  }

  String describe() {
    StringBuilder b = new StringBuilder();
    for (Subscriber sub : all) {
      b.append(b.length() == 0 ? "" : ", ").append(sub.name).append(" ").append(sub.eventTypes);
    }
    return b.toString();
  }

  String tally() {
    StringBuilder b = new StringBuilder();
    for (Subscriber sub : all) {
      b.append(b.length() == 0 ? "" : ", ").append(sub.name).append(" ").append(sub.received.get());
    }
    return b.toString();
  }

  int received() {
    return all.stream().mapToInt(s -> s.received.get()).sum();
  }

  /** Deliveries due for these events: each subscriber gets the types it asked for. */
  int expected(Map<String, Long> eventsByType) {
    long total = 0;
    for (Subscriber sub : all) {
      for (String type : sub.eventTypes) {
        total += eventsByType.getOrDefault(type, 0L);
      }
    }
    return (int) total;
  }

  boolean allSignaturesValid() {
    return all.stream().allMatch(s -> s.badSignatures.get() == 0 && s.badDownloads.get() == 0);
  }

  /** Standard Webhooks: v1 = base64 HMAC-SHA256 of "id.timestamp.body" with the secret's key. */
  static boolean verify(String secret, String id, String timestamp, String signatures, byte[] body) {
    if (secret == null || id == null || timestamp == null || signatures == null) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      byte[] expected = mac.doFinal(body);
      for (String candidate : signatures.split(" ")) {
        if (candidate.startsWith("v1,")
            && MessageDigest.isEqual(expected, Base64.getDecoder().decode(candidate.substring(3)))) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }
}
