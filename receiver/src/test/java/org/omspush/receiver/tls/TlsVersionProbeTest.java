package org.omspush.receiver.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.tls.TlsVersionProbe.Outcome;
import org.omspush.receiver.tls.TlsVersionProbe.Version;

/** The hand-written ClientHello that doctor offers a server (moved here with the probe from isosim). */
class TlsVersionProbeTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static HttpServer server;

  @BeforeAll
  static void start() throws Exception {
    DevPki pki = DevPki.generate(dir);
    vertx = Vertx.vertx();
    server = vertx.createHttpServer(new HttpServerOptions()
            .setSsl(true)
            .setHost("127.0.0.1")
            .setPort(0)
            .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
            .setKeyCertOptions(new PemKeyCertOptions()
                .setCertPath(pki.receiverServer().certificateFile().toString())
                .setKeyPath(pki.receiverServer().keyFile().toString())))
        .requestHandler(r -> r.response().end())
        .listen().await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @EnumSource(value = Version.class, names = {"TLS_1_0", "TLS_1_1"})
  void server_limited_to_tls_1_2_and_1_3_refuses_older_hellos(Version version) throws Exception {
    Outcome outcome = TlsVersionProbe.offer("127.0.0.1", server.actualPort(), version, Duration.ofSeconds(5));

    assertThat(outcome.refused()).as(outcome.detail()).isTrue();
    assertThat(outcome.alert()).as(outcome.detail()).isEqualTo(Outcome.PROTOCOL_VERSION_ALERT);
  }

  @Test
  void probe_sees_a_server_accept_tls_1_2() throws Exception {
    Outcome outcome = TlsVersionProbe.offer("localhost", server.actualPort(), Version.TLS_1_2, Duration.ofSeconds(5));

    assertThat(outcome.accepted()).as(outcome.detail()).isTrue();
    assertThat(outcome.serverVersion()).isEqualTo(0x0303);
  }

  @Test
  void probe_sees_a_server_that_still_speaks_tls_1_1() throws Exception {
    // A JDK server refuses TLS 1.1 even when it enables it, while jdk.tls.disabledAlgorithms
    // lists it (the default), and changing that property is global to the JVM. So the probe's
    // "accepted" path is shown against a fake server that answers ServerHello 0x0302 by hand.
    try (java.net.ServerSocket fake = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread answer = new Thread(() -> {
        try (java.net.Socket socket = fake.accept()) {
          socket.getInputStream().read(new byte[512]);
          socket.getOutputStream().write(new byte[] {22, 3, 2, 0, 6, 2, 0, 0, 2, 3, 2});
          socket.getOutputStream().flush();
        } catch (java.io.IOException ignored) {
          // the test fails on its own
        }
      });
      answer.start();
      Outcome outcome = TlsVersionProbe.offer("127.0.0.1", fake.getLocalPort(), Version.TLS_1_1,
          Duration.ofSeconds(5));
      answer.join(5000);

      assertThat(outcome.accepted()).as(outcome.detail()).isTrue();
      assertThat(outcome.serverVersion()).isEqualTo(0x0302);
    }
  }
}
