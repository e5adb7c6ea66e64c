package org.omspush.isosim.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.testing.SharedPki;
import org.omspush.isosim.push.PushSigner.Algorithm;

/** Pushes against a small mutual-TLS server shaped like the receiver's endpoint. */
class PusherTest {

  record Received(String method, String path, String contentType, String soapAction,
      String body, X509Certificate clientCertificate, String tlsProtocol) {}

  static DevPki pki;
  static Vertx vertx;
  static HttpServer server;
  static String url;
  static final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  static final AtomicInteger connections = new AtomicInteger();
  static PushSigner signer;

  @BeforeAll
  static void startReceiver() throws Exception {
    pki = SharedPki.get(); // one PKI for the whole test run
    signer = PushSigner.of(pki.isoPushClient());
    vertx = Vertx.vertx();
    HttpServerOptions options = new HttpServerOptions()
        .setSsl(true)
        .setHost("127.0.0.1")
        .setPort(0)
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(PusherOptions.ISO_TLS_PROTOCOLS)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(pki.receiverServer().certificateFile().toString())
            .setKeyPath(pki.receiverServer().keyFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.isoCaBundle().toString()));
    server = vertx.createHttpServer(options)
        .connectionHandler(connection -> connections.incrementAndGet())
        .requestHandler(request -> request.body().onSuccess(body -> {
          X509Certificate peer;
          try {
            peer = (X509Certificate) request.connection().peerCertificates().get(0);
          } catch (Exception e) {
            peer = null;
          }
          received.add(new Received(request.method().name(), request.path(),
              request.getHeader("Content-Type"), request.getHeader("SOAPAction"),
              body.toString(StandardCharsets.UTF_8), peer,
              request.connection().sslSession().getProtocol()));
          // hold each answer a little so concurrent pushes overlap
          vertx.setTimer(20, t -> request.response()
              .putHeader("Content-Type", "text/xml; charset=utf-8")
              .end("<ok/>"));
        }))
        .listen().await(10, TimeUnit.SECONDS);
    url = "https://localhost:" + server.actualPort() + "/oms/push";
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void forget() {
    received.clear();
  }

  static OutageStatusChange change() {
    return new OutageStatusChange("OMS-1", "RESOURCE", 2, "APPROVED", "RECEIVED",
        Instant.parse("2026-11-21T17:03:12.345Z"), null);
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.await(20, TimeUnit.SECONDS);
  }

  @Test
  void push_arrives_as_a_soap_post_from_the_iso_push_certificate() throws Exception {
    Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki));
    try {
      PushMessage message = PushMessage.outageStatusChange(change()).build();
      byte[] envelope = signer.sign(message, Algorithm.RSA_SHA256);

      PushResult result = await(pusher.push(url, message, envelope));

      assertThat(result.statusCode()).isEqualTo(200);
      assertThat(result.accepted()).isTrue();
      assertThat(result.body()).isEqualTo("<ok/>");
      assertThat(result.contentType()).isEqualTo("text/xml; charset=utf-8");
      assertThat(result.latencyNanos()).isPositive();
      Received request = received.poll();
      assertThat(request.method()).isEqualTo("POST");
      assertThat(request.path()).isEqualTo("/oms/push");
      assertThat(request.contentType()).isEqualTo("text/xml; charset=utf-8");
      assertThat(request.soapAction()).isEqualTo("\"receiveOutageStatusChange_v1\"");
      assertThat(request.body()).isEqualTo(new String(envelope, StandardCharsets.UTF_8));
      assertThat(request.clientCertificate()).isEqualTo(pki.isoPushClient().certificate());
      assertThat(request.tlsProtocol()).isIn("TLSv1.2", "TLSv1.3");
    } finally {
      pusher.close();
    }
  }

  @Test
  void soap_action_can_be_sent_bare() throws Exception {
    Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).quotedSoapAction(false));
    try {
      PushMessage message = PushMessage.marketEvent(new MarketEvent("EV-1", "MARKET_CLOSED",
          "DAM", java.time.LocalDate.parse("2026-11-22"), Instant.now(), null, null)).build();

      await(pusher.push(url, message, signer.sign(message, Algorithm.RSA_SHA1)));

      assertThat(received.poll().soapAction()).isEqualTo("receiveMarketEvent_v1");
    } finally {
      pusher.close();
    }
  }

  @Test
  void tls_1_2_only_pusher_is_served_with_tls_1_2() throws Exception {
    Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).tlsProtocols(Set.of("TLSv1.2")));
    try {
      PushMessage message = PushMessage.outageStatusChange(change()).build();
      await(pusher.push(url, message, signer.unsigned(message)));

      assertThat(received.poll().tlsProtocol()).isEqualTo("TLSv1.2");
    } finally {
      pusher.close();
    }
  }

  @Test
  void pool_size_bounds_the_connections_under_concurrent_pushes() throws Exception {
    Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(8));
    try {
      int before = connections.get();
      List<Future<PushResult>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        PushMessage message = PushMessage.outageStatusChange(change()).build();
        results.add(pusher.push(url, message, signer.sign(message, Algorithm.RSA_SHA256)));
      }
      for (Future<PushResult> result : results) {
        assertThat(await(result).statusCode()).isEqualTo(200);
      }
      int opened = connections.get() - before;
      assertThat(opened).isBetween(2, 8);
      assertThat(received).hasSize(32);
    } finally {
      pusher.close();
    }
  }

  @Test
  void send_can_use_any_method_and_headers() throws Exception {
    Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki));
    try {
      PushResult result = await(pusher.send(HttpMethod.PUT, url,
          Map.of("Content-Type", "application/json"), Buffer.buffer("{}")));

      assertThat(result.statusCode()).isEqualTo(200);
      Received request = received.poll();
      assertThat(request.method()).isEqualTo("PUT");
      assertThat(request.contentType()).isEqualTo("application/json");
      assertThat(request.soapAction()).isNull();
    } finally {
      pusher.close();
    }
  }

  @Test
  void rogue_certificate_with_the_push_subject_is_refused_in_the_handshake() {
    Pusher pusher = new Pusher(vertx,
        PusherOptions.asIso(pki).clientCertificate(pki.roguePushClient()));
    try {
      PushMessage message = PushMessage.outageStatusChange(change()).build();
      assertThatThrownBy(() -> await(pusher.push(url, message, signer.unsigned(message))))
          .isInstanceOf(Exception.class);
      assertThat(received).isEmpty();
    } finally {
      pusher.close();
    }
  }

  @Test
  void pusher_refuses_a_server_certificate_it_does_not_trust() {
    Pusher pusher = new Pusher(vertx,
        PusherOptions.asIso(pki).trustedCa(pki.isoCaBundle()));
    try {
      PushMessage message = PushMessage.outageStatusChange(change()).build();
      assertThatThrownBy(() -> await(pusher.push(url, message, signer.unsigned(message))))
          .isInstanceOf(Exception.class);
      assertThat(received).isEmpty();
    } finally {
      pusher.close();
    }
  }

  @Test
  void jdk_client_cannot_even_offer_tls_1_1() {
    Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).tlsProtocols(Set.of("TLSv1.1")));
    try {
      PushMessage message = PushMessage.outageStatusChange(change()).build();
      assertThatThrownBy(() -> await(pusher.push(url, message, signer.unsigned(message))))
          .hasStackTraceContaining("No appropriate protocol");
      assertThat(received).isEmpty();
    } finally {
      pusher.close();
    }
  }
}
