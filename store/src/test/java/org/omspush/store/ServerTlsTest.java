package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.omspush.store.testing.TestDatabase;

class ServerTlsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Test
  void prefer_becomes_disable_on_a_server_without_tls_so_no_connection_is_left_unfinished() throws Exception {
    DatabaseUrl url = TestDatabase.server();
    // the embedded test server runs without TLS (an external OMS_TEST_DATABASE_URL server may have it)
    boolean tls = ServerTls.offersTls(url.host(), url.port(), TIMEOUT);
    assertThat(ServerTls.settle(url.withSslMode(null), TIMEOUT).sslMode()).isEqualTo(tls ? "require" : "disable");
    assertThat(ServerTls.settle(url.withSslMode("prefer"), TIMEOUT).sslMode()).isEqualTo(tls ? "require" : "disable");
  }

  @Test
  void a_mode_named_other_than_prefer_is_kept_without_asking_the_server() throws Exception {
    int closed = closedPort();
    for (String mode : new String[] {"disable", "allow", "require"}) {
      DatabaseUrl url = new DatabaseUrl("127.0.0.1", closed, "oms", "oms", null, mode, null);
      assertThat(ServerTls.settle(url, TIMEOUT)).isSameAs(url);
    }
  }

  @Test
  void a_server_that_is_not_postgres_or_not_there_is_an_error_that_says_so() throws Exception {
    try (ServerSocket fake = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread answer = new Thread(() -> {
        try (Socket s = fake.accept()) {
          s.getInputStream().readNBytes(8);
          s.getOutputStream().write("HTTP/1.1 400\r\n".getBytes());
        } catch (IOException ignored) {
          // the test fails on its own
        }
      });
      answer.start();
      assertThatThrownBy(() -> ServerTls.settle(new DatabaseUrl("127.0.0.1", fake.getLocalPort(), "oms", "oms", null,
          null, null), TIMEOUT)).isInstanceOf(IOException.class).hasMessageContaining("not a PostgreSQL server");
      answer.join(5000);
    }
    assertThatThrownBy(() -> ServerTls.offersTls("127.0.0.1", closedPort(), TIMEOUT)).isInstanceOf(IOException.class);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
