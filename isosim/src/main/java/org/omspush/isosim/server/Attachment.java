package org.omspush.isosim.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.zip.GZIPOutputStream;

/**
 * A document as the ISO attaches it: {@code value} = base64(gzip(document)) without line
 * breaks, {@code hashValue} = base64(SHA-1 of the ASCII bytes of {@code value}, exactly as sent).
 */
record Attachment(String value, String hashValue) {

  static Attachment of(byte[] document) {
    String value = Base64.getEncoder().encodeToString(gzip(document));
    return new Attachment(value, hashOf(value));
  }

  /** The same value with the hash of something else: a corrupt attachment. */
  Attachment withWrongHash() {
    return new Attachment(value, hashOf(value + "corrupt"));
  }

  static String hashOf(String base64Text) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder().encodeToString(
          sha1.digest(base64Text.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }

  private static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(512, data.length / 3));
    try (GZIPOutputStream gzip = new GZIPOutputStream(out, 64 * 1024)) {
      gzip.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
