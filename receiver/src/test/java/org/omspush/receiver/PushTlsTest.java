package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.tls.TlsVersionProbe;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

class PushTlsTest {
  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static TestReceiver receiver;

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
  }

  private static PushMessage outage() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return PushMessage.outageStatusChange(new OutageStatusChange("OUT-" + UUID.randomUUID().toString().substring(0, 8),
        "RESOURCE", 1, "RECEIVED", null, now, null)).build();
  }

  private static PushResult pushWith(PusherOptions options, DevPki.Credential signer) throws Exception {
    PushMessage m = outage();
    try (Pusher p = receiver.pusher(options)) {
      return TestReceiver.await(p.push(receiver.url(), m.soapAction(),
          PushSigner.of(signer).sign(m, PushSigner.Algorithm.RSA_SHA256)));
    }
  }

  private static TlsVersionProbe.Outcome offer(int port, TlsVersionProbe.Version v) throws Exception {
    return TlsVersionProbe.offer("127.0.0.1", port, v, Duration.ofSeconds(10));
  }

  @Test
  void tls_1_0_and_1_1_are_refused_by_the_receivers_own_configuration() throws Exception {
    assertThat(offer(receiver.app.pushPort(), TlsVersionProbe.Version.TLS_1_1).refused()).isTrue();
    assertThat(offer(receiver.app.pushPort(), TlsVersionProbe.Version.TLS_1_0).refused()).isTrue();
    assertThat(offer(receiver.app.pushPort(), TlsVersionProbe.Version.TLS_1_2).accepted()).isTrue();
  }

  @Test
  void this_jvm_would_speak_tls_1_1_if_a_server_allowed_it() throws Exception {
    // The control for the test above: the JVM's own policy is relaxed in tests, so a refusal
    // can only come from the receiver's protocol and cipher settings.
    Vertx vertx = Vertx.vertx();
    try {
      HttpServerOptions legacy = new HttpServerOptions().setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(pki.receiverServer().certificateFile().toString())
              .setKeyPath(pki.receiverServer().keyFile().toString()))
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.1", "TLSv1.2"));
      HttpServer server = TestReceiver.await(vertx.createHttpServer(legacy)
          .requestHandler(r -> r.response().end()).listen(0, "127.0.0.1"));
      assertThat(offer(server.actualPort(), TlsVersionProbe.Version.TLS_1_1).accepted()).isTrue();
    } finally {
      TestReceiver.await(vertx.close());
    }
  }

  @Test
  void tls_1_2_and_1_3_are_accepted() throws Exception {
    for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
      PushResult r = pushWith(PusherOptions.asIso(pki).tlsProtocols(Set.of(protocol)), pki.isoPushClient());
      assertThat(r.statusCode()).as(protocol + ": " + r.body()).isEqualTo(200);
    }
  }

  @Test
  void client_without_a_certificate_never_reaches_the_handler() {
    long before = TestDatabase.count(db, "inbound_message");
    assertThatThrownBy(() -> pushWith(PusherOptions.asIso(pki).noClientCertificate(), pki.isoPushClient()))
        .isNotNull();
    assertThat(TestDatabase.count(db, "inbound_message")).isEqualTo(before);
    assertThat(receiver.app.metrics().scrape()).doesNotContain("outcome=\"client_not_allowed\"");
  }

  @Test
  void rogue_ca_with_the_isos_name_but_another_key_is_refused_in_the_handshake() {
    long before = TestDatabase.count(db, "inbound_message");
    assertThatThrownBy(() -> pushWith(PusherOptions.asIso(pki).clientCertificate(pki.roguePushClient()),
        pki.roguePushClient())).isNotNull();
    assertThat(TestDatabase.count(db, "inbound_message")).isEqualTo(before);
  }

  @Test
  void expired_client_certificate_is_refused_in_the_handshake() {
    assertThatThrownBy(() -> pushWith(PusherOptions.asIso(pki).clientCertificate(pki.expiredPushClient()),
        pki.expiredPushClient())).isNotNull();
  }

  @Test
  void another_participants_valid_certificate_gets_a_403_fault() throws Exception {
    long before = TestDatabase.count(db, "inbound_message");
    PushResult r = pushWith(PusherOptions.asIso(pki).clientCertificate(pki.otherParticipantClient()),
        pki.otherParticipantClient());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("<faultcode>soap:Client</faultcode>").contains("client_not_allowed")
        .contains(pki.otherParticipantClient().subject().getName());
    assertThat(TestDatabase.count(db, "inbound_message")).isEqualTo(before);
  }
}
