package org.omspush.receiver.console;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Console sessions as signed cookies: {@code role.expiresEpochSeconds.nonce.hmac}. Stateless, so
 * any replica behind a load balancer honours a cookie another one issued. The HMAC key is derived
 * from the admin token, the view token and the secrets' sealing key: changing any of them signs
 * everyone out. The CSRF token is an HMAC of the session under the same key (no server state).
 */
final class Sessions {
  enum Role {
    ADMIN, VIEW;

    String code() {
      return this == ADMIN ? "admin" : "view";
    }

    static Role of(String code) {
      return switch (code) {
        case "admin" -> ADMIN;
        case "view" -> VIEW;
        default -> null;
      };
    }
  }

  /** A verified session. */
  record Session(Role role, Instant expiresAt, String value) {}

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;
  private final org.omspush.receiver.admin.BearerToken adminToken;
  private final org.omspush.receiver.admin.BearerToken viewToken;
  private final Duration ttl;

  /**
   * @param derivedKey key material from the secrets' sealing key
   * @param viewToken  null = no view-only sign-in
   */
  Sessions(byte[] derivedKey, String adminToken, String viewToken, Duration ttl) {
    this.key = hmac(derivedKey, "oms-console-session\0" + adminToken + "\0" + (viewToken == null ? "" : viewToken));
    this.adminToken = new org.omspush.receiver.admin.BearerToken(adminToken);
    this.viewToken = viewToken == null ? null : new org.omspush.receiver.admin.BearerToken(viewToken);
    this.ttl = ttl;
  }

  Duration ttl() {
    return ttl;
  }

  /** The role this token signs in as, or null; compared in constant time. */
  Role signIn(String token) {
    boolean admin = adminToken.is(token);
    boolean view = viewToken != null && viewToken.is(token);
    return admin ? Role.ADMIN : view ? Role.VIEW : null;
  }

  String issue(Role role, Instant now) {
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    String body = role.code() + "." + now.plus(ttl).getEpochSecond() + "." + B64.encodeToString(nonce);
    return body + "." + B64.encodeToString(hmac(key, "session\0" + body));
  }

  /** The session a cookie value carries, or null when it is absent, altered or expired. */
  Session verify(String value, Instant now) {
    if (value == null || value.length() > 200) {
      return null;
    }
    String[] parts = value.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    String body = parts[0] + "." + parts[1] + "." + parts[2];
    byte[] mac;
    try {
      mac = Base64.getUrlDecoder().decode(parts[3]);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (!MessageDigest.isEqual(hmac(key, "session\0" + body), mac)) {
      return null;
    }
    Role role = Role.of(parts[0]);
    long expires;
    try {
      expires = Long.parseLong(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    if (role == null || (role == Role.VIEW && viewToken == null) || now.getEpochSecond() >= expires) {
      return null;
    }
    return new Session(role, Instant.ofEpochSecond(expires), value);
  }

  /** The CSRF token of a session: forms and htmx requests send it back. */
  String csrf(Session s) {
    return B64.encodeToString(hmac(key, "csrf\0" + s.value()));
  }

  boolean csrfMatches(Session s, String given) {
    return given != null && MessageDigest.isEqual(csrf(s).getBytes(StandardCharsets.US_ASCII),
        given.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }
}
