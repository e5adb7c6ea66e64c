package org.omspush.receiver.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin API's bearer token. Compared in constant time: both sides are hashed first, so
 * neither the content nor the length of the expected token leaks through timing.
 */
final class BearerToken {
  private final byte[] expected;

  BearerToken(String token) {
    this.expected = sha256(token);
  }

  /** Whether an {@code Authorization} header value carries this token. */
  boolean matches(String authorization) {
    if (authorization == null || authorization.length() < 7
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      MessageDigest.isEqual(expected, sha256("")); // the same work either way
      return false;
    }
    return MessageDigest.isEqual(expected, sha256(authorization.substring(7).strip()));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
