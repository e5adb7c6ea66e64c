package org.omspush.receiver.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin API's bearer token. Compared in constant time: both sides are hashed first, so
 * neither the content nor the length of the expected token leaks through timing.
 */
public final class BearerToken {
  private final byte[] expected;

  public BearerToken(String token) {
    this.expected = sha256(token);
  }

  /** Whether {@code token} (as typed, surrounding blanks ignored; null for none) is this token. */
  public boolean is(String token) {
    return MessageDigest.isEqual(expected, sha256(token == null ? "" : token.strip()));
  }

  /** Whether an {@code Authorization} header value carries this token. */
  boolean matches(String authorization) {
    if (authorization == null || authorization.length() < 7
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      MessageDigest.isEqual(expected, sha256("")); // the same work either way
      return false;
    }
    return is(authorization.substring(7));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
