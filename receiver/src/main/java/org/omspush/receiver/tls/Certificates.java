package org.omspush.receiver.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/** What operators need to know about a certificate and its key, read from PEM with BouncyCastle. */
public final class Certificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Certificates() {}

  /** Every certificate in the PEM text, in order; empty when there is none. */
  public static List<X509Certificate> parseCertificates(byte[] pem) throws IOException {
    List<X509Certificate> out = new ArrayList<>();
    try (Reader r = new StringReader(new String(pem, StandardCharsets.US_ASCII)); PEMParser parser = new PEMParser(r)) {
      JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          try {
            out.add(converter.getCertificate(holder));
          } catch (CertificateException e) {
            throw new IOException("unreadable certificate: " + e.getMessage(), e);
          }
        }
      }
    }
    return out;
  }

  /** The unencrypted private key in the PEM text (PKCS#8 or PKCS#1/SEC1). */
  public static PrivateKey parsePrivateKey(byte[] pem) throws IOException {
    try (Reader r = new StringReader(new String(pem, StandardCharsets.US_ASCII)); PEMParser parser = new PEMParser(r)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new IOException("the key is encrypted; mount it unencrypted from a Secret");
        }
      }
    }
    throw new IOException("no PEM private key found");
  }

  /**
   * Whether the private key belongs to the public key: signs random bytes and verifies them,
   * which works for every key type without comparing internals.
   */
  public static boolean keyMatches(PrivateKey privateKey, PublicKey publicKey) {
    String algorithm = switch (publicKey.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null || !publicKey.getAlgorithm().equals(privateKey.getAlgorithm())) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      RANDOM.nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** SHA-256 of the certificate's DER, as colon-separated upper-case hex (as browsers and openssl show it). */
  public static String fingerprint(X509Certificate certificate) {
    try {
      return colonHex(sha256(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of the DER SubjectPublicKeyInfo: stays the same when a certificate is renewed with the same key. */
  public static String publicKeyFingerprint(PublicKey key) {
    return colonHex(sha256(key.getEncoded()));
  }

  /** Days from {@code now} until notAfter; negative once expired. */
  public static double daysLeft(X509Certificate certificate, Instant now) {
    return Duration.between(now, certificate.getNotAfter().toInstant()).toSeconds() / 86400.0;
  }

  public static boolean expired(X509Certificate certificate, Instant now) {
    return now.isAfter(certificate.getNotAfter().toInstant());
  }

  public static boolean notYetValid(X509Certificate certificate, Instant now) {
    return now.isBefore(certificate.getNotBefore().toInstant());
  }

  /** "RSA 2048", "EC 256". */
  public static String keyDescription(PublicKey key) {
    if (key instanceof java.security.interfaces.RSAKey rsa) {
      return "RSA " + rsa.getModulus().bitLength();
    }
    if (key instanceof java.security.interfaces.ECKey ec) {
      return "EC " + ec.getParams().getCurve().getField().getFieldSize();
    }
    return key.getAlgorithm();
  }

  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String colonHex(byte[] bytes) {
    return HexFormat.ofDelimiter(":").withUpperCase().formatHex(bytes);
  }
}
