package org.omspush.claimcheck.retrieve;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * One participant certificate registered with the ISO, and the retrieve services it calls.
 * The AUP counts per certificate, so the gate key is the certificate's fingerprint.
 */
public record IsoIdentity(
    X509Certificate certificate,
    List<X509Certificate> chain,
    PrivateKey privateKey,
    Path certificateFile,
    Path keyFile,
    Set<String> services) {

  public String subjectDn() {
    return certificate.getSubjectX500Principal().getName();
  }

  /** SHA-256 of the certificate, hex: the AUP gate's key for this identity. */
  public String gateKey() {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean serves(String service) {
    return services.contains(service);
  }
}
