package org.omspush.receiver.tls;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * Offers a server one TLS protocol version with a hand-written ClientHello over a plain socket
 * and reports whether the server answers with a ServerHello of that version or refuses.
 *
 * <p>Why by hand: on JDK 17 {@code jdk.tls.disabledAlgorithms} lists TLSv1 and TLSv1.1, and
 * SunJSSE applies that list on top of anything an application sets: a client
 * {@code SSLSocket} with {@code setEnabledProtocols({"TLSv1.1"})} (or an
 * {@code SSLContext.getInstance("TLSv1.1")}, or {@code SSLParameters} with permissive
 * {@code AlgorithmConstraints}) fails locally with "No appropriate protocol (protocol is disabled
 * or cipher suites are inappropriate)" and sends nothing, so it tests only the client. Changing
 * the security property ({@code Security.setProperty} before the first TLS use, or
 * {@code -Djava.security.properties}) works but is global to the JVM and would also re-enable
 * old protocols for a server under test in the same JVM. This probe touches no JVM state.
 *
 * <p>Only the first record of the answer is read; the connection is then closed.
 */
public final class TlsVersionProbe {

  /** A protocol version to offer. */
  public enum Version {
    TLS_1_0(0x0301, "TLSv1"),
    TLS_1_1(0x0302, "TLSv1.1"),
    TLS_1_2(0x0303, "TLSv1.2");

    private final int wire;
    private final String jdkName;

    Version(int wire, String jdkName) {
      this.wire = wire;
      this.jdkName = jdkName;
    }

    /** The JDK's name, for messages. */
    public String jdkName() {
      return jdkName;
    }
  }

  /**
   * What the server did. {@code accepted}: it answered with a ServerHello for the offered
   * version. {@code alert}: the TLS alert description it sent instead (70 = protocol_version,
   * 40 = handshake_failure), or -1. {@code detail}: a sentence for test failure messages.
   */
  public record Outcome(boolean accepted, int serverVersion, int alert, String detail) {

    public static final int PROTOCOL_VERSION_ALERT = 70;
    public static final int HANDSHAKE_FAILURE_ALERT = 40;

    /** Refused: an alert, a close, or a ServerHello of another version. */
    public boolean refused() {
      return !accepted;
    }
  }

  private static final int HANDSHAKE = 22;
  private static final int ALERT = 21;
  private static final int CLIENT_HELLO = 1;
  private static final int SERVER_HELLO = 2;
  private static final SecureRandom RANDOM = new SecureRandom();

  // ECDHE-RSA AES-GCM (TLS 1.2), ECDHE-RSA and RSA AES-CBC-SHA (TLS 1.0/1.1), renegotiation SCSV
  private static final int[] CIPHER_SUITES = {
      0xC02F, 0xC030, 0x009E, 0xC013, 0xC014, 0x002F, 0x0035, 0x00FF};

  private TlsVersionProbe() {}

  /** Offers only {@code version} to {@code host:port} and reads the first answer. */
  public static Outcome offer(String host, int port, Version version, Duration timeout)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(clientHello(host, version));
      out.flush();
      return readAnswer(new DataInputStream(socket.getInputStream()), version);
    }
  }

  private static Outcome readAnswer(DataInputStream in, Version offered) throws IOException {
    int contentType;
    try {
      contentType = in.readUnsignedByte();
      in.readUnsignedShort(); // record version
      int length = in.readUnsignedShort();
      if (contentType == ALERT && length >= 2) {
        int level = in.readUnsignedByte();
        int description = in.readUnsignedByte();
        return new Outcome(false, -1, description, "server sent alert level " + level
            + " description " + description + " to a " + offered.jdkName() + " ClientHello");
      }
      if (contentType == HANDSHAKE && length >= 6) {
        int handshakeType = in.readUnsignedByte();
        in.skipNBytes(3);
        int serverVersion = in.readUnsignedShort();
        if (handshakeType == SERVER_HELLO) {
          boolean same = serverVersion == offered.wire;
          return new Outcome(same, serverVersion, -1, "server answered ServerHello 0x"
              + Integer.toHexString(serverVersion) + " to a " + offered.jdkName() + " ClientHello");
        }
        return new Outcome(false, -1, -1, "server sent handshake message " + handshakeType);
      }
      return new Outcome(false, -1, -1, "server sent record type " + contentType);
    } catch (EOFException e) {
      return new Outcome(false, -1, -1,
          "server closed the connection on a " + offered.jdkName() + " ClientHello");
    } catch (SocketTimeoutException e) {
      return new Outcome(false, -1, -1,
          "server did not answer a " + offered.jdkName() + " ClientHello in time");
    } catch (IOException e) {
      return new Outcome(false, -1, -1, "connection failed: " + e.getMessage());
    }
  }

  static byte[] clientHello(String host, Version version) {
    Bytes body = new Bytes();
    body.u16(version.wire);
    byte[] random = new byte[32];
    RANDOM.nextBytes(random);
    body.raw(random);
    body.u8(0); // no session id
    body.u16(CIPHER_SUITES.length * 2);
    for (int suite : CIPHER_SUITES) {
      body.u16(suite);
    }
    body.u8(1).u8(0); // compression: null only

    Bytes extensions = new Bytes();
    if (!host.isEmpty() && !Character.isDigit(host.charAt(host.length() - 1))
        && host.indexOf(':') < 0) {
      byte[] name = host.getBytes(StandardCharsets.US_ASCII);
      extensions.u16(0x0000).u16(name.length + 5).u16(name.length + 3).u8(0)
          .u16(name.length).raw(name);
    }
    extensions.u16(0x000a).u16(8).u16(6).u16(0x001d).u16(0x0017).u16(0x0018); // groups
    extensions.u16(0x000b).u16(2).u8(1).u8(0); // point formats: uncompressed
    if (version == Version.TLS_1_2) {
      int[] schemes = {0x0804, 0x0805, 0x0401, 0x0501, 0x0403, 0x0201};
      extensions.u16(0x000d).u16(schemes.length * 2 + 2).u16(schemes.length * 2);
      for (int scheme : schemes) {
        extensions.u16(scheme);
      }
    }
    extensions.u16(0x0017).u16(0); // extended master secret
    body.u16(extensions.size()).raw(extensions.toByteArray());

    Bytes handshake = new Bytes();
    handshake.u8(CLIENT_HELLO).u24(body.size()).raw(body.toByteArray());
    Bytes record = new Bytes();
    record.u8(HANDSHAKE).u16(0x0301).u16(handshake.size()).raw(handshake.toByteArray());
    return record.toByteArray();
  }

  private static final class Bytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Bytes u8(int value) {
      out.write(value & 0xff);
      return this;
    }

    Bytes u16(int value) {
      return u8(value >> 8).u8(value);
    }

    Bytes u24(int value) {
      return u8(value >> 16).u16(value);
    }

    Bytes raw(byte[] bytes) {
      out.writeBytes(bytes);
      return this;
    }

    int size() {
      return out.size();
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }
  }
}
