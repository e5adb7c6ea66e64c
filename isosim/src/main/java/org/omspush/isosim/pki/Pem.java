package org.omspush.isosim.pki;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Small PEM readers and writers: certificates as {@code CERTIFICATE}, private keys written as
 * PKCS#8 {@code PRIVATE KEY} and read as PKCS#8 or PKCS#1 ({@code RSA PRIVATE KEY}).
 */
public final class Pem {

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private Pem() {}

  /** Every certificate in the file, in file order (a leaf first, then its issuers). */
  public static List<X509Certificate> readCertificates(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
      List<X509Certificate> certificates = readCertificates(reader);
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("no CERTIFICATE block in " + file);
      }
      return certificates;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read certificates from " + file, e);
    }
  }

  /** Every certificate in the PEM text, in order. */
  public static List<X509Certificate> parseCertificates(String pem) {
    try {
      return readCertificates(new StringReader(pem));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first certificate in the file. */
  public static X509Certificate readCertificate(Path file) {
    return readCertificates(file).get(0);
  }

  private static List<X509Certificate> readCertificates(Reader reader) throws IOException {
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    List<X509Certificate> certificates = new ArrayList<>();
    try (PEMParser parser = new PEMParser(reader)) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (object instanceof X509CertificateHolder holder) {
          try {
            certificates.add(converter.getCertificate(holder));
          } catch (CertificateException e) {
            throw new IOException("unreadable certificate: " + e.getMessage(), e);
          }
        }
      }
    }
    return certificates;
  }

  /** The private key in the file: PKCS#8 ({@code PRIVATE KEY}) or PKCS#1 ({@code RSA PRIVATE KEY}). */
  public static PrivateKey readPrivateKey(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
      return readPrivateKey(reader, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read private key from " + file, e);
    }
  }

  /** The private key in the PEM text. */
  public static PrivateKey parsePrivateKey(String pem) {
    try {
      return readPrivateKey(new StringReader(pem), "PEM text");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static PrivateKey readPrivateKey(Reader reader, String source) throws IOException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(reader)) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (object instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (object instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
      }
    }
    throw new IllegalArgumentException(
        "no unencrypted PRIVATE KEY or RSA PRIVATE KEY block in " + source);
  }

  /** PEM text of the certificates, in the order given. */
  public static String certificatesToPem(List<X509Certificate> certificates) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      for (X509Certificate certificate : certificates) {
        writer.writeObject(new PemObject("CERTIFICATE", certificate.getEncoded()));
      }
    } catch (IOException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode certificate", e);
    }
    return out.toString();
  }

  /** PEM text of the key as PKCS#8 {@code PRIVATE KEY}. */
  public static String privateKeyToPem(PrivateKey key) {
    if (!"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("key is not PKCS#8 encodable: " + key.getFormat());
    }
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Writes the certificates to the file (replacing it). */
  public static void writeCertificates(Path file, List<X509Certificate> certificates) {
    write(file, certificatesToPem(certificates));
  }

  /**
   * Writes the key as PKCS#8 {@code PRIVATE KEY} (replacing the file); on POSIX file systems the
   * file is created readable and writable by its owner only.
   */
  public static void writePrivateKey(Path file, PrivateKey key) {
    String text = privateKeyToPem(key);
    try {
      Files.deleteIfExists(file);
      if (Files.getFileStore(file.toAbsolutePath().getParent())
          .supportsFileAttributeView(PosixFileAttributeView.class)) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file, e);
    }
    write(file, text);
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
