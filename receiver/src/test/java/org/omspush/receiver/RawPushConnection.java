package org.omspush.receiver;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.omspush.isosim.pki.DevPki;

/**
 * One TLS connection to the push port, written and read byte by byte as the test likes: for
 * senders that misbehave in ways no HTTP client library would.
 */
final class RawPushConnection implements AutoCloseable {
  final SSLSocket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawPushConnection(SSLSocket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Connected and handshaken with {@code client}'s certificate, trusting the receiver's server CA. */
  static RawPushConnection open(DevPki pki, DevPki.Credential client, int port) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("client", client.privateKey(), new char[0], client.chain().toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", pki.serverCa().certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    s.setSoTimeout(30_000);
    s.startHandshake();
    return new RawPushConnection(s);
  }

  /** The request line and headers of a push of {@code contentLength} bytes, no body yet. */
  static byte[] pushHeaders(String soapAction, long contentLength) {
    return ("POST /iso/v1/push HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n"
        + "SOAPAction: \"" + soapAction + "\"\r\nContent-Length: " + contentLength + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** A complete push on this connection, and its answer. */
  Answer push(String soapAction, byte[] envelope) throws IOException {
    send(pushHeaders(soapAction, envelope.length));
    send(envelope);
    return readAnswer();
  }

  /** One HTTP answer: status line, headers and a body of its Content-Length. */
  Answer readAnswer() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before a complete answer: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
    }
    String headers = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    return new Answer(headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  /**
   * Waits up to {@code limit} for the receiver to close the connection, discarding what it
   * sends: true if it closed (end of stream or reset), false if it was still open then.
   */
  boolean closedWithin(Duration limit) throws IOException {
    socket.setSoTimeout((int) limit.toMillis());
    try {
      while (in.read() >= 0) {
        // discard
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // a reset is a close too
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** @param head status line and headers; {@code body} decoded as UTF-8 */
  record Answer(String head, String body) {
    int status() {
      return Integer.parseInt(head.substring(9, 12));
    }

    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).strip();
        }
      }
      return null;
    }
  }
}
