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
 * Kept-alive connections on the push port: the receiver closes an idle one after the header
 * timeout, and a push sent into it just then fails unanswered. Answers say how long an idle
 * connection may be reused, well before that close, so a client that honours it (as the Vert.x
 * and Apache clients do) opens a new connection instead.
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
  void answers_advertise_an_idle_limit_well_inside_the_servers_own() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
    AtomicInteger connects = new AtomicInteger();
    client = isoClient(connects);
    HttpClientResponse answer = push(signedOutage());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.getHeader("Keep-Alive")).isEqualTo("timeout=" + PushServerOptions.KEEP_ALIVE_ADVERTISED_SECONDS);
    assertThat(PushServerOptions.KEEP_ALIVE_ADVERTISED_SECONDS * 1000L)
        .as("room between the client retiring a connection and the receiver closing it")
        .isLessThanOrEqualTo(PushServerOptions.HEADER_TIMEOUT_MS - 2_000);
  }

  @Test
  void a_client_that_honours_it_opens_a_new_connection_before_the_receiver_closes_the_idle_one() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
    AtomicInteger connects = new AtomicInteger();
    client = isoClient(connects);
    assertThat(push(signedOutage()).statusCode()).isEqualTo(200);
    assertThat(connects).hasValue(1);
    // past what the answer advertised, still short of the receiver's own idle close
    Thread.sleep(PushServerOptions.KEEP_ALIVE_ADVERTISED_SECONDS * 1000L + 1_500);
    assertThat(push(signedOutage()).statusCode()).isEqualTo(200);
    assertThat(connects).as("the idle connection was retired by the client, not reused").hasValue(2);
  }

  @Test
  void an_idle_kept_alive_connection_is_closed_at_the_header_timeout_without_counting_a_cut() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
    try (RawPushConnection c = RawPushConnection.open(pki, pki.isoPushClient(), receiver.app.pushPort())) {
      RawPushConnection.Answer a = c.push(PushMessage.OUTAGE_STATUS_CHANGE_ACTION, signedOutage());
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(c.closedWithin(java.time.Duration.ofMillis(PushServerOptions.HEADER_TIMEOUT_MS + 5_000)))
          .as("an idle connection is closed after the header timeout").isTrue();
    }
    // not a sender that failed to send its headers: the metric is for those
    assertThat(cut("header_timeout")).isZero();
    try (RawPushConnection silent = RawPushConnection.open(pki, pki.isoPushClient(), receiver.app.pushPort())) {
      assertThat(silent.closedWithin(java.time.Duration.ofMillis(PushServerOptions.HEADER_TIMEOUT_MS + 5_000))).isTrue();
    }
    assertThat(cut("header_timeout")).isEqualTo(1);
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
