package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.store.testing.TestDatabase;

class SlowSenderTest {
  @TempDir static Path dir;
  static DevPki pki;
  static TestReceiver receiver;

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
  }

  private static SSLSocket connectAsIso() throws Exception {
    return RawPushConnection.open(pki, pki.isoPushClient(), receiver.app.pushPort()).socket;
  }

  @Test
  void connection_that_never_completes_its_headers_is_closed_after_10_seconds() throws Exception {
    try (SSLSocket s = connectAsIso()) {
      OutputStream out = s.getOutputStream();
      // A slow sender: the request line and one header, then nothing.
      out.write("POST /iso/v1/push HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.setSoTimeout(30_000);
      long started = System.nanoTime();
      InputStream in = s.getInputStream();
      int read;
      try {
        read = in.read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the receiver kept the half-open request for 30 s");
      } catch (java.io.IOException e) {
        read = -1; // reset by the server is a close too
      }
      long waitedMs = (System.nanoTime() - started) / 1_000_000;
      assertThat(read).as("the server closes without answering").isEqualTo(-1);
      // Closed by the header timer, not at once: the connection itself was fine.
      assertThat(waitedMs).isGreaterThanOrEqualTo(5_000);
    }
  }

  @Test
  void a_prompt_sender_on_the_same_kind_of_connection_is_answered() throws Exception {
    try (SSLSocket s = connectAsIso()) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /iso/v1/push HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.setSoTimeout(30_000);
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 405");
    }
  }
}
