package org.omspush.claimcheck.push;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.security.auth.x500.X500Principal;

/**
 * The ISO push identities allowed to push. Every participant's certificate chains to the same
 * ISO CA, so a valid chain is not enough: the client certificate must match one entry of the
 * allow-list. An entry names the subject, optionally with the issuer ({@code SUBJECT|issuer=ISSUER}),
 * or pins the certificate's public key ({@code sha256:PIN}, the SHA-256 of the DER
 * SubjectPublicKeyInfo, in hex or base64), or both ({@code SUBJECT|sha256:PIN}). Names are
 * compared as X.500 names, never as strings.
 */
public final class PushIdentities {
  private static final String ISSUER = "issuer=";
  private static final String PIN = "sha256:";

  /** One allow-list entry: every condition it names must hold. */
  record Entry(X500Principal subject, X500Principal issuer, byte[] keyPin) {
    boolean matches(X509Certificate c) {
      return (subject == null || subject.equals(c.getSubjectX500Principal()))
          && (issuer == null || issuer.equals(c.getIssuerX500Principal()))
          && (keyPin == null || MessageDigest.isEqual(keyPin, spkiSha256(c)));
    }

    @Override
    public String toString() {
      List<String> parts = new ArrayList<>();
      if (subject != null) {
        parts.add(subject.getName());
      }
      if (issuer != null) {
        parts.add(ISSUER + issuer.getName());
      }
      if (keyPin != null) {
        parts.add(PIN + Base64.getEncoder().encodeToString(keyPin));
      }
      return String.join("|", parts);
    }
  }

  private final List<Entry> entries;

  private PushIdentities(List<Entry> entries) {
    this.entries = entries;
  }

  /**
   * Parses {@code OMS_PUSH_ALLOWED_SUBJECTS}: entries separated by {@code ;}, each made of
   * conditions separated by {@code |}: a subject DN (RFC 2253), {@code issuer=DN}, {@code sha256:PIN}.
   *
   * @throws IllegalArgumentException naming the part that is wrong, or when the list is empty
   */
  public static PushIdentities parse(String allowList) {
    List<Entry> out = new ArrayList<>();
    if (allowList != null) {
      for (String entry : allowList.split(";")) {
        if (!entry.isBlank()) {
          out.add(entry(entry.strip()));
        }
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no ISO push identity is allowed: give at least one subject DN");
    }
    return new PushIdentities(List.copyOf(out));
  }

  private static Entry entry(String text) {
    X500Principal subject = null;
    X500Principal issuer = null;
    byte[] pin = null;
    for (String raw : text.split("\\|")) {
      String part = raw.strip();
      if (part.regionMatches(true, 0, ISSUER, 0, ISSUER.length())) {
        if (issuer != null) {
          throw new IllegalArgumentException("'" + text + "' names two issuers");
        }
        issuer = name(part.substring(ISSUER.length()).strip());
      } else if (part.regionMatches(true, 0, PIN, 0, PIN.length())) {
        if (pin != null) {
          throw new IllegalArgumentException("'" + text + "' names two public-key pins");
        }
        pin = pin(part.substring(PIN.length()).strip());
      } else {
        if (subject != null) {
          throw new IllegalArgumentException("'" + text + "' names two subjects (an issuer is written issuer=DN)");
        }
        subject = name(part);
      }
    }
    if (subject == null && pin == null) {
      // an issuer alone would let in every participant that CA certifies
      throw new IllegalArgumentException("'" + text + "' needs a subject DN or a sha256: public-key pin, not only"
          + " an issuer");
    }
    return new Entry(subject, issuer, pin);
  }

  private static X500Principal name(String dn) {
    try {
      return new X500Principal(dn);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + dn + "' is not a distinguished name (RFC 2253)");
    }
  }

  /** 32 bytes, written as 64 hex digits (colons allowed, as {@code cert csr} prints them) or base64. */
  private static byte[] pin(String text) {
    String hex = text.replace(":", "");
    byte[] bytes = null;
    if (hex.length() == 64 && hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
      bytes = HexFormat.of().parseHex(hex);
    } else {
      try {
        bytes = Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        // not base64 either: reported below
      }
    }
    if (bytes == null || bytes.length != 32) {
      throw new IllegalArgumentException("'sha256:" + text + "' is not a SHA-256 public-key pin (64 hex digits or"
          + " 44 characters of base64)");
    }
    return bytes;
  }

  /** SHA-256 of the certificate's DER SubjectPublicKeyInfo: stays the same when it is renewed with the same key. */
  public static byte[] spkiSha256(X509Certificate c) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(c.getPublicKey().getEncoded());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean allows(X509Certificate client) {
    return entries.stream().anyMatch(e -> e.matches(client));
  }

  public void check(X509Certificate client) throws PushRejectedException {
    if (!allows(client)) {
      throw new PushRejectedException(PushFault.Reason.CLIENT_NOT_ALLOWED, "The client certificate "
          + client.getSubjectX500Principal().getName() + " (issuer " + client.getIssuerX500Principal().getName()
          + ") is not an ISO push identity allowed by this receiver");
    }
  }

  /** The subjects the allow-list names (entries that pin only a key name none). */
  public Set<X500Principal> subjects() {
    return entries.stream().map(Entry::subject).filter(s -> s != null).collect(Collectors.toUnmodifiableSet());
  }

  /** The allow-list as it was understood, for the start-up log. */
  @Override
  public String toString() {
    return entries.stream().map(Entry::toString).collect(Collectors.joining("; "));
  }
}
