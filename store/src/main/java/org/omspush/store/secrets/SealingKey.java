package org.omspush.store.secrets;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A key-encryption key: 32 random bytes (AES-256), kept outside the database (a file, a
 * Kubernetes Secret). Its id, the first 8 bytes of its SHA-256 in hex, is stored beside every
 * value it seals, so a row says which key opens it without saying anything about the key.
 */
public final class SealingKey {
  public static final int BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;
  private final String id;

  private SealingKey(byte[] key) {
    this.key = key.clone();
    this.id = idOf(this.key);
  }

  public static SealingKey of(byte[] key) {
    if (key.length != BYTES) {
      throw new IllegalArgumentException("a sealing key is " + BYTES + " bytes, not " + key.length);
    }
    return new SealingKey(key);
  }

  /** The file format: the key's 32 bytes in base64 (surrounding white space ignored). */
  public static SealingKey parse(String base64) {
    byte[] bytes;
    try {
      bytes = Base64.getMimeDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64 (make a key with: head -c 32 /dev/urandom | base64)");
    }
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException("holds " + bytes.length + " bytes, not " + BYTES
          + " (make a key with: head -c 32 /dev/urandom | base64)");
    }
    return new SealingKey(bytes);
  }

  public static SealingKey generate() {
    byte[] bytes = new byte[BYTES];
    RANDOM.nextBytes(bytes);
    return new SealingKey(bytes);
  }

  /** The file format, {@link #parse}'s input. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(key) + "\n";
  }

  public String id() {
    return id;
  }

  byte[] bytes() {
    return key;
  }

  private static String idOf(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(Arrays.copyOf(digest, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Safe to log: the id only. */
  @Override
  public String toString() {
    return "SealingKey[" + id + "]";
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
