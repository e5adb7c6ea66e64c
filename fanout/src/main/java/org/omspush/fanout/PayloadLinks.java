package org.omspush.fanout;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed, short-lived URLs of payloads too large to go inline: the claim-check pattern again,
 * one hop further down. {@code {base}/payloads/{id}?expires={unix seconds}&sig={HMAC}}, the
 * HMAC-SHA256 keyed with a key every replica shares (table {@code fanout_key}), so any replica
 * serves a URL another one signed. No bearer token is needed: the signature is the permission.
 */
public final class PayloadLinks {
  /** The path prefix the receiver serves them under. */
  public static final String PATH = "/payloads/";
  /** The name of the shared key in {@code fanout_key}. */
  public static final String KEY_NAME = "payload-url";

  private final byte[] key;
  private final Duration ttl;
  private final Supplier<String> baseUrl;

  /** @param baseUrl e.g. {@code https://oms.example.com} (no trailing slash needed) */
  public PayloadLinks(byte[] key, Duration ttl, Supplier<String> baseUrl) {
    this.key = key.clone();
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
  }

  /** A URL for payload {@code id}, valid for the TTL from {@code now}. */
  public String url(long id, Instant now) {
    long expires = now.plus(ttl).getEpochSecond();
    String base = baseUrl.get();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + PATH + id + "?expires=" + expires + "&sig=" + signature(id, expires);
  }

  /** Whether {@code expires} and {@code sig} (as the URL carries them) were made here for {@code id} and are still valid. */
  public boolean valid(long id, String expires, String sig, Instant now) {
    if (expires == null || sig == null || !expires.matches("\\d{1,12}")) {
      return false;
    }
    long exp = Long.parseLong(expires);
    boolean good = MessageDigest.isEqual(
        signature(id, exp).getBytes(StandardCharsets.US_ASCII), sig.getBytes(StandardCharsets.US_ASCII));
    return good && now.getEpochSecond() <= exp;
  }

  public Duration ttl() {
    return ttl;
  }

  public String baseUrl() {
    return baseUrl.get();
  }

  private String signature(long id, long expires) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] digest = mac.doFinal(("payload:" + id + ":" + expires).getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
