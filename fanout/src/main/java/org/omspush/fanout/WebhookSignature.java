package org.omspush.fanout;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,} + base64 of HMAC-SHA256 over {@code
 * {webhook-id}.{webhook-timestamp}.{body}}, keyed with the base64-decoded part of a {@code
 * whsec_} secret; one signature per active secret, separated by spaces.
 */
public final class WebhookSignature {
  public static final String PREFIX = "whsec_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignature() {}

  /** A new secret: {@code whsec_} and 24 random bytes in base64 (as the reference libraries make them). */
  public static String newSecret() {
    byte[] key = new byte[24];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /**
   * The key of a secret.
   *
   * @throws IllegalArgumentException when it is not {@code whsec_} + base64 of 16 to 64 bytes
   */
  public static byte[] key(String secret) {
    if (secret == null || !secret.startsWith(PREFIX)) {
      throw new IllegalArgumentException("a secret starts with whsec_ followed by base64");
    }
    String b64 = secret.substring(PREFIX.length());
    if (!b64.matches("[A-Za-z0-9+/]+={0,2}")) {
      throw new IllegalArgumentException("the part after whsec_ must be standard base64");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the part after whsec_ is not valid base64");
    }
    if (key.length < 16 || key.length > 64) {
      throw new IllegalArgumentException("the key after whsec_ must be 16 to 64 bytes, not " + key.length);
    }
    return key;
  }

  /** The {@code webhook-signature} header value: one {@code v1,…} per secret, space-separated. */
  public static String sign(String webhookId, long timestamp, byte[] body, List<String> secrets) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("no secret to sign with");
    }
    StringBuilder out = new StringBuilder();
    byte[] prefix = (webhookId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
    for (String secret : secrets) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key(secret), "HmacSHA256"));
        mac.update(prefix);
        byte[] digest = mac.doFinal(body);
        if (out.length() > 0) {
          out.append(' ');
        }
        out.append("v1,").append(Base64.getEncoder().encodeToString(digest));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is not available", e);
      }
    }
    return out.toString();
  }
}
