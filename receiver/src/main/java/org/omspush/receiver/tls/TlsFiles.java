package org.omspush.receiver.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.omspush.receiver.config.ConfigException;

/**
 * The receiver's TLS material as files, checked at start-up so that a wrong mount is one clear
 * line, not a handshake failure at the first push.
 */
public record TlsFiles(Path certChain, Path key, Path clientCa, List<Path> crls, List<X509Certificate> serverChain,
    List<X509Certificate> clientCas, RevocationLists revocations) {

  public static TlsFiles load(Path cert, Path key, Path clientCa) {
    return load(cert, key, clientCa, List.of());
  }

  /** @param crls the files of {@code OMS_TLS_CRL}, each checked against the client CAs */
  public static TlsFiles load(Path cert, Path key, Path clientCa, List<Path> crls) {
    List<X509Certificate> chain = certificates("OMS_TLS_CERT", cert);
    List<X509Certificate> cas = certificates("OMS_TLS_CLIENT_CA", clientCa);
    String keyText;
    try {
      keyText = Files.readString(key, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException("OMS_TLS_KEY", "cannot read " + key + ": " + e.getMessage());
    }
    if (!keyText.contains("PRIVATE KEY-----")) {
      throw new ConfigException("OMS_TLS_KEY", key + " holds no PEM private key");
    }
    if (keyText.contains("ENCRYPTED PRIVATE KEY")) {
      throw new ConfigException("OMS_TLS_KEY", key + " is encrypted; mount it unencrypted from a Secret");
    }
    RevocationLists revocations;
    try {
      revocations = RevocationLists.of(crls, RevocationLists.read(crls), cas);
    } catch (IOException e) {
      throw new ConfigException(RevocationLists.SETTING, "cannot read " + e.getMessage());
    } catch (TlsMaterial.Invalid e) {
      throw new ConfigException(RevocationLists.SETTING, e.getMessage()
          .substring(RevocationLists.SETTING.length() + 1));
    }
    return new TlsFiles(cert, key, clientCa, List.copyOf(crls), chain, cas, revocations);
  }

  public static List<X509Certificate> certificates(String setting, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> out = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
          .map(X509Certificate.class::cast).toList();
      if (out.isEmpty()) {
        throw new ConfigException(setting, file + " holds no certificate");
      }
      return out;
    } catch (IOException | CertificateException e) {
      throw new ConfigException(setting, file + " is not a PEM certificate file: " + e.getMessage());
    }
  }
}
