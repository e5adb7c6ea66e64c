package org.omspush.store;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where the database is: the value of the {@code OMS_DATABASE_URL} setting, parsed once.
 *
 * <p>Form: {@code postgresql://user:password@host:port/database?sslmode=require} ({@code
 * postgres://} is accepted too, user and password may be percent-encoded, the port defaults to
 * 5432, the password may be absent). Query parameters: {@code sslmode} (disable, allow, prefer,
 * require, verify-ca, verify-full; default prefer, as libpq and JDBC) and {@code sslrootcert} (a
 * PEM file with the CA, required by verify-ca and verify-full). Both are passed to JDBC (Flyway)
 * and to the Vert.x pool alike.
 *
 * <p>The password never appears in {@link #toString()} nor in any parse error message.
 *
 * @param sslMode     null when the URL does not name one (then libpq's default, prefer, applies)
 * @param sslRootCert null or the path of a PEM file with the trusted CA certificate(s)
 */
public record DatabaseUrl(
    String host, int port, String database, String user, String password, String sslMode, String sslRootCert) {

  /** The name of the setting, used in every error message. */
  public static final String SETTING = "OMS_DATABASE_URL";

  public static final int DEFAULT_PORT = 5432;

  private static final String EXPECTED = "expected postgresql://user:password@host:5432/database";
  private static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  public DatabaseUrl {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(user, "user");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(SETTING + ": the port must be between 1 and 65535");
    }
    if (sslMode != null && !SSL_MODES.contains(sslMode)) {
      throw new IllegalArgumentException(
          SETTING + ": sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full");
    }
    if (("verify-ca".equals(sslMode) || "verify-full".equals(sslMode)) && sslRootCert == null) {
      throw new IllegalArgumentException(
          SETTING + ": sslmode=" + sslMode + " needs sslrootcert=<path of the CA certificate, PEM>");
    }
  }

  /** A URL for a server on this machine without a password (the embedded database). */
  public static DatabaseUrl local(int port, String database, String user) {
    return new DatabaseUrl("127.0.0.1", port, database, user, null, null, null);
  }

  /**
   * Parses {@code OMS_DATABASE_URL}.
   *
   * @throws IllegalArgumentException naming what is wrong; it never contains the password nor
   *     any part of the URL that could hold one
   */
  public static DatabaseUrl parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(SETTING + " is empty (" + EXPECTED + ")");
    }
    String s = text.strip();
    int schemeEnd = s.indexOf("://");
    if (schemeEnd < 0) {
      throw new IllegalArgumentException(SETTING + " is not a URL (" + EXPECTED + ")");
    }
    String scheme = s.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
    if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
      String shown = scheme.matches("[a-z][a-z0-9+.-]{0,20}") ? " (got '" + scheme + "')" : "";
      throw new IllegalArgumentException(
          SETTING + " must start with postgresql:// or postgres://" + shown);
    }
    String rest = s.substring(schemeEnd + 3);

    // RFC 3986: the authority ends at the first '/', '?' or '#'. A user name or password that
    // contains one of those must be percent-encoded; otherwise the host below is invalid.
    int authorityEnd = indexOfAny(rest, "/?#");
    String authority = authorityEnd < 0 ? rest : rest.substring(0, authorityEnd);
    String afterAuthority = authorityEnd < 0 ? "" : rest.substring(authorityEnd);
    if (afterAuthority.indexOf('#') >= 0) {
      throw new IllegalArgumentException(
          SETTING + " must not contain a '#' fragment (percent-encode a '#' in the password as %23)");
    }

    String user = null;
    String password = null;
    String hostPort = authority;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      hostPort = authority.substring(at + 1);
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name");
      password = colon < 0 ? null : decode(userInfo.substring(colon + 1), "password");
    }
    if (at < 0 && afterAuthority.indexOf('@') >= 0) {
      throw new IllegalArgumentException(
          SETTING + ": the user name or password seems to contain '/', '?' or '#'; percent-encode it"
              + " (%2F, %3F, %23)");
    }
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException(SETTING + " names no user (" + EXPECTED + ")");
    }

    String host;
    String portText = null;
    if (hostPort.startsWith("[")) { // IPv6 literal
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(SETTING + ": the IPv6 host has no closing ']'");
      }
      host = hostPort.substring(1, close);
      String after = hostPort.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw new IllegalArgumentException(SETTING + ": unexpected text after the IPv6 host");
        }
        portText = after.substring(1);
      }
      if (!host.matches("[0-9A-Fa-f:.]+")) {
        throw new IllegalArgumentException(SETTING + ": the IPv6 host is not valid");
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      portText = colon < 0 ? null : hostPort.substring(colon + 1);
      if (host.isEmpty()) {
        throw new IllegalArgumentException(SETTING + " names no host (" + EXPECTED + ")");
      }
      if (!host.matches("[A-Za-z0-9._-]+")) {
        // Not echoed: with an unencoded '/', '?' or '#' in the password, this is part of it.
        throw new IllegalArgumentException(
            SETTING + ": the host name is not valid; if the user name or password contains"
                + " any of @ : / ? # %, percent-encode it (e.g. %40 for @)");
      }
    }
    int port = DEFAULT_PORT;
    if (portText != null && !portText.isEmpty()) {
      // Not echoed either, for the same reason as the host.
      if (!portText.matches("[0-9]{1,5}")) {
        throw new IllegalArgumentException(
            SETTING + ": the port is not a number between 1 and 65535; if the password contains"
                + " any of @ : / ? # %, percent-encode it");
      }
      port = Integer.parseInt(portText);
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(SETTING + ": the port is not a number between 1 and 65535");
      }
    }

    String path = afterAuthority;
    String query = "";
    int q = path.indexOf('?');
    if (q >= 0) {
      query = path.substring(q + 1);
      path = path.substring(0, q);
    }
    String database = path.startsWith("/") ? decode(path.substring(1), "database name") : "";
    if (database.isEmpty()) {
      throw new IllegalArgumentException(SETTING + " names no database (" + EXPECTED + ")");
    }
    if (database.contains("/")) {
      throw new IllegalArgumentException(SETTING + ": the database name must not contain '/'");
    }

    String sslMode = null;
    String sslRootCert = null;
    if (!query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "query parameter");
        switch (name) {
          case "sslmode" -> sslMode = value.toLowerCase(Locale.ROOT);
          case "sslrootcert" -> sslRootCert = value.isEmpty() ? null : value;
          default -> {
            // The name is not echoed: it could be a piece of a password with an unencoded '?'.
            throw new IllegalArgumentException(
                SETTING + ": unsupported query parameter; only sslmode and sslrootcert are understood");
          }
        }
      }
    }
    return new DatabaseUrl(host, port, database, user, password, sslMode, sslRootCert);
  }

  /** The same URL with another sslmode (see {@link ServerTls}). */
  public DatabaseUrl withSslMode(String mode) {
    return new DatabaseUrl(host, port, database, user, password, mode, sslRootCert);
  }

  /** The same server and credentials, another database. */
  public DatabaseUrl withDatabase(String otherDatabase) {
    return new DatabaseUrl(host, port, otherDatabase, user, password, sslMode, sslRootCert);
  }

  /** The JDBC URL, without user and password (pass those separately: {@link #user()}, {@link #password()}). */
  public String jdbcUrl() {
    StringBuilder b = new StringBuilder("jdbc:postgresql://")
        .append(hostForUrl()).append(':').append(port).append('/')
        .append(URLEncoder.encode(database, StandardCharsets.UTF_8));
    String sep = "?";
    if (sslMode != null) {
      b.append(sep).append("sslmode=").append(sslMode);
      sep = "&";
    }
    if (sslRootCert != null) {
      b.append(sep).append("sslrootcert=").append(URLEncoder.encode(sslRootCert, StandardCharsets.UTF_8));
    }
    return b.toString();
  }

  /** Options for the Vert.x PostgreSQL client, TLS settings included (see {@link Pools}). */
  public PgConnectOptions connectOptions() {
    PgConnectOptions options = new PgConnectOptions()
        .setHost(host)
        .setPort(port)
        .setDatabase(database)
        .setUser(user);
    if (password != null) {
      options.setPassword(password);
    }
    String mode = sslMode == null ? "prefer" : sslMode;
    options.setSslMode(SslMode.of(mode));
    switch (mode) {
      case "disable" -> { }
      // libpq semantics: these modes encrypt but do not verify the server's certificate.
      case "allow", "prefer", "require" -> options.setSslOptions(new ClientSSLOptions().setTrustAll(true));
      case "verify-ca" -> options.setSslOptions(new ClientSSLOptions()
          .setTrustOptions(new PemTrustOptions().addCertPath(sslRootCert))
          .setHostnameVerificationAlgorithm(""));
      case "verify-full" -> options.setSslOptions(new ClientSSLOptions()
          .setTrustOptions(new PemTrustOptions().addCertPath(sslRootCert))
          .setHostnameVerificationAlgorithm("HTTPS"));
      default -> throw new IllegalStateException("sslmode " + mode);
    }
    return options;
  }

  /** The URL with the password replaced by {@code ***}: safe to log. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("postgresql://")
        .append(encode(user));
    if (password != null) {
      b.append(":***");
    }
    b.append('@').append(hostForUrl()).append(':').append(port).append('/').append(encode(database));
    String sep = "?";
    if (sslMode != null) {
      b.append(sep).append("sslmode=").append(sslMode);
      sep = "&";
    }
    if (sslRootCert != null) {
      b.append(sep).append("sslrootcert=").append(encode(sslRootCert));
    }
    return b.toString();
  }

  private String hostForUrl() {
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Percent-decoding as in URIs ('+' stays '+'); the text itself is never echoed. */
  private static String decode(String s, String what) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw badEscape(what);
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw badEscape(what);
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          bytes = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(bytes, 0, bytes.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(SETTING + ": the " + what + " is not valid UTF-8 after percent-decoding");
    }
  }

  private static IllegalArgumentException badEscape(String what) {
    return new IllegalArgumentException(
        SETTING + ": the " + what + " has a '%' that is not followed by two hex digits (write % as %25)");
  }
}
