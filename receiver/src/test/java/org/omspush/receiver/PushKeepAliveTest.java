package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.receiver.push.PushServerOptions;
import org.omspush.store.testing.TestDatabase;

/**
 * Kept-alive connections on the push port. The receiver keeps an idle one for the keep-alive
 * timeout (60 s by default), so a sender between bursts reuses its connections instead of paying
 * a mutual-TLS handshake for each at the next burst; then it closes it, and a push sent into it
 * just then fails unanswered. Answers say how long an idle connection may be reused, 5 s inside
 * that close, so a client that honours it (as the Vert.x and Apache clients do) opens a new one.
 */
class PushKeepAliveTest {
  @TempDir static Path dir;
  static DevPki pki;
  static PushSigner iso;
  TestReceiver receiver;
  HttpClient client;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir);
    iso = PushSigner.of(pki.isoPushClient());
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  private static byte[] signedOutage() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    PushMessage m = PushMessage.outageStatusChange(new OutageStatusChange(
        "OUT-" + UUID.randomUUID().toString().substring(0, 18), "RESOURCE", 1, "RECEIVED", null, now, null)).build();
    return iso.sign(m, PushSigner.Algorithm.RSA_SHA256);
  }

  private HttpClientResponse push(byte[] envelope) throws Exception {
    RequestOptions to = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(receiver.url())
        .putHeader("Content-Type", "text/xml; charset=utf-8")
        .putHeader("SOAPAction", '"' + PushMessage.OUTAGE_STATUS_CHANGE_ACTION + '"');
    return client.request(to)
        .compose(req -> req.send(Buffer.buffer(envelope)))
        .compose(res -> res.body().map(body -> res))
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void answers_advertise_an_idle_limit_five_seconds_inside_the_servers_own() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
    client = isoClient(new AtomicInteger());
    HttpClientResponse answer = push(signedOutage());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.getHeader("Keep-Alive")).isEqualTo("timeout=55");
  }

  @Test
  void a_connection_idle_longer_than_the_header_timeout_is_reused() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
    AtomicInteger connects = new AtomicInteger();
    client = isoClient(connects);
    assertThat(push(signedOutage()).statusCode()).isEqualTo(200);
    Thread.sleep(PushServerOptions.HEADER_TIMEOUT_MS + 1_500);
    assertThat(push(signedOutage()).statusCode()).isEqualTo(200);
    assertThat(connects).as("the second push went over the first connection: no new handshake").hasValue(1);
  }

  @Test
  void a_client_that_honours_it_opens_a_new_connection_before_the_receiver_closes_the_idle_one() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of("OMS_PUSH_KEEPALIVE_TIMEOUT", "8s"));
    AtomicInteger connects = new AtomicInteger();
    client = isoClient(connects);
    HttpClientResponse first = push(signedOutage());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.getHeader("Keep-Alive")).isEqualTo("timeout=4");
    assertThat(connects).hasValue(1);
    // past what the answer advertised, still short of the receiver's own idle close
    Thread.sleep(4_000 + 1_500);
    assertThat(push(signedOutage()).statusCode()).isEqualTo(200);
    assertThat(connects).as("the idle connection was retired by the client, not reused").hasValue(2);
  }

  @Test
  void an_idle_kept_alive_connection_is_closed_at_the_keep_alive_timeout_without_counting_a_cut() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of("OMS_PUSH_KEEPALIVE_TIMEOUT", "3s"));
    try (RawPushConnection c = RawPushConnection.open(pki, pki.isoPushClient(), receiver.app.pushPort())) {
      RawPushConnection.Answer a = c.push(PushMessage.OUTAGE_STATUS_CHANGE_ACTION, signedOutage());
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      long idle = System.nanoTime();
      assertThat(c.closedWithin(java.time.Duration.ofSeconds(3 + 5)))
          .as("an idle connection is closed after the keep-alive timeout").isTrue();
      assertThat((System.nanoTime() - idle) / 1_000_000).as("not before it").isGreaterThanOrEqualTo(2_500);
    }
    // not a sender that failed to send its headers: the metric is for those
    assertThat(cut("header_timeout")).isZero();
    // a new connection still has only the header timeout, whatever the keep-alive
    try (RawPushConnection silent = RawPushConnection.open(pki, pki.isoPushClient(), receiver.app.pushPort())) {
      assertThat(silent.closedWithin(java.time.Duration.ofMillis(PushServerOptions.HEADER_TIMEOUT_MS + 5_000))).isTrue();
    }
    assertThat(cut("header_timeout")).isEqualTo(1);
  }

  @Test
  void the_request_timeout_of_a_kept_alive_connection_runs_from_its_next_request_not_from_the_answer()
      throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(),
        Map.of("OMS_PUSH_REQUEST_TIMEOUT", "2s", "OMS_PUSH_KEEPALIVE_TIMEOUT", "20s"));
    try (RawPushConnection c = RawPushConnection.open(pki, pki.isoPushClient(), receiver.app.pushPort())) {
      assertThat(c.push(PushMessage.OUTAGE_STATUS_CHANGE_ACTION, signedOutage()).status()).isEqualTo(200);
      Thread.sleep(3_500);
      RawPushConnection.Answer again = c.push(PushMessage.OUTAGE_STATUS_CHANGE_ACTION, signedOutage());
      assertThat(again.status()).as(again.body()).isEqualTo(200);
    }
    assertThat(cut("request_timeout")).isZero();
  }

  private double cut(String reason) {
    Counter c = receiver.app.metrics().find("oms.push.connections.cut").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  /** The ISO's side: mutual TLS with its push certificate, one connection kept alive for up to a minute. */
  private HttpClient isoClient(AtomicInteger connects) {
    HttpClientOptions options = new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_1_1)
        .setKeepAlive(true)
        .setKeepAliveTimeout(60)
        .setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(pki.isoPushClient().certificateFile().toString())
            .setKeyPath(pki.isoPushClient().keyFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.serverCa().certificateFile().toString()));
    return receiver.vertx.httpClientBuilder()
        .with(options)
        .with(new PoolOptions().setHttp1MaxSize(1))
        .withConnectHandler(conn -> connects.incrementAndGet())
        .build();
  }
}
