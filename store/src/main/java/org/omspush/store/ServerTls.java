package org.omspush.store;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Settles {@code sslmode=prefer} (the default) once, before any Vert.x client connects.
 *
 * <p>Why: for {@code prefer} the Vert.x client sends an SSLRequest and, when the server answers
 * "no TLS", opens a second connection without it, leaving the first one open and unfinished.
 * Postgres keeps a backend waiting {@code authentication_timeout} (default 60 s) on each of
 * those, and a Postgres 15 or 16 that is shutting down waits for them before it exits: a fast
 * restart took 60 s instead of 0.3 s with one idle receiver connected. So the receiver asks the
 * server once, on a socket it always closes, and then connects with {@code require} or {@code
 * disable}: every connection it opens is then one it finishes or closes.
 */
public final class ServerTls {
  /** The SSLRequest code of the PostgreSQL protocol. */
  private static final int SSL_REQUEST = 80877103;

  private ServerTls() {}

  /**
   * {@code url} itself unless its sslmode is {@code prefer} (named or by default); then the same
   * URL with {@code require} when the server offers TLS, {@code disable} when it does not. Blocks
   * (at most about twice {@code timeout}).
   *
   * @throws IOException when the server cannot be reached or does not answer as Postgres
   */
  public static DatabaseUrl settle(DatabaseUrl url, Duration timeout) throws IOException {
    if (url.sslMode() != null && !url.sslMode().equals("prefer")) {
      return url;
    }
    return url.withSslMode(offersTls(url.host(), url.port(), timeout) ? "require" : "disable");
  }

  /** Whether the server at host:port accepts an SSLRequest. */
  static boolean offersTls(String host, int port, Duration timeout) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      s.setSoTimeout((int) timeout.toMillis());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(8);
      out.writeInt(SSL_REQUEST);
      out.flush();
      InputStream in = s.getInputStream();
      int answer = in.read();
      return switch (answer) {
        case 'S' -> true;
        case 'N' -> false;
        case -1 -> throw new IOException(host + ":" + port + " closed the connection without answering the"
            + " SSLRequest (shutting down?)");
        default -> throw new IOException(host + ":" + port + " answered the SSLRequest with byte " + answer
            + ": not a PostgreSQL server?");
      };
    }
  }
}
