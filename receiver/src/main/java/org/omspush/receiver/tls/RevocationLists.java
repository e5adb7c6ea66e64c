package org.omspush.receiver.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificate revocation lists checked for the push port's client certificates
 * ({@code OMS_TLS_CRL}): each file holds one CRL in DER, or one or more in PEM. A CRL must be
 * signed by one of the client CAs ({@code OMS_TLS_CLIENT_CA}): the TLS stack checks serial
 * numbers against every list it is given and never the list's own signature, so a list from
 * anyone else must not reach it.
 *
 * @param files the files' bytes, as read, in the order configured
 * @param crls  every CRL they hold
 */
public record RevocationLists(List<byte[]> files, List<X509CRL> crls) {
  public static final String SETTING = "OMS_TLS_CRL";
  public static final RevocationLists NONE = new RevocationLists(List.of(), List.of());

  public RevocationLists {
    files = List.copyOf(files);
    crls = List.copyOf(crls);
  }

  /** Reads the files. Blocks (file I/O). */
  public static List<byte[]> read(List<Path> paths) throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (Path p : paths) {
      out.add(Files.readAllBytes(p));
    }
    return out;
  }

  /**
   * Parses the files and checks each CRL's signature against the client CA of the same name.
   *
   * @param paths where each file was read from, to name it in the error
   * @throws TlsMaterial.Invalid naming the file and what is wrong with it
   */
  public static RevocationLists of(List<Path> paths, List<byte[]> files, List<X509Certificate> clientCas)
      throws TlsMaterial.Invalid {
    List<X509CRL> all = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      String which = SETTING + " " + paths.get(i);
      List<X509CRL> inFile;
      try {
        inFile = CertificateFactory.getInstance("X.509")
            .generateCRLs(new ByteArrayInputStream(files.get(i))).stream().map(X509CRL.class::cast).toList();
      } catch (CRLException | java.security.cert.CertificateException | RuntimeException e) {
        throw new TlsMaterial.Invalid(which + " is not a CRL (PEM or DER): " + e.getMessage());
      }
      if (inFile.isEmpty()) {
        throw new TlsMaterial.Invalid(which + " holds no CRL");
      }
      for (X509CRL crl : inFile) {
        checkSignature(which, crl, clientCas);
      }
      all.addAll(inFile);
    }
    return new RevocationLists(files, all);
  }

  private static void checkSignature(String which, X509CRL crl, List<X509Certificate> clientCas)
      throws TlsMaterial.Invalid {
    for (X509Certificate ca : clientCas) {
      if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
        try {
          crl.verify(ca.getPublicKey());
          return;
        } catch (GeneralSecurityException e) {
          // another CA of the same name may have signed it
        }
      }
    }
    throw new TlsMaterial.Invalid(which + ": the CRL of " + crl.getIssuerX500Principal().getName()
        + " is not signed by any CA of OMS_TLS_CLIENT_CA");
  }

  /** Whether a list revokes this certificate (a list names serials of its own issuer only). */
  public boolean revokes(X509Certificate certificate) {
    return crls.stream().anyMatch(c -> c.isRevoked(certificate));
  }

  /** Days from {@code now} until the CRL's nextUpdate (negative once past); null when it names none. */
  public static Double daysToNextUpdate(X509CRL crl, Instant now) {
    if (crl.getNextUpdate() == null) {
      return null;
    }
    return Duration.between(now, crl.getNextUpdate().toInstant()).toSeconds() / 86400.0;
  }

  /** The CRL number (extension 2.5.29.20) in hex, or "-" when the list has none. */
  public static String number(X509CRL crl) {
    byte[] ext = crl.getExtensionValue("2.5.29.20");
    if (ext == null) {
      return "-";
    }
    try {
      // OCTET STRING wrapping an INTEGER
      var octets = (org.bouncycastle.asn1.ASN1OctetString) org.bouncycastle.asn1.ASN1Primitive.fromByteArray(ext);
      BigInteger n = org.bouncycastle.asn1.ASN1Integer.getInstance(octets.getOctets()).getValue();
      return n.toString(16);
    } catch (IOException | RuntimeException e) {
      return "-";
    }
  }
}
