package org.omspush.receiver.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import java.security.cert.X509CRL;
import java.util.Base64;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.pki.Pem;

/** Certificates issued in tests with BouncyCastle under a DevPki CA, and a plain JDK TLS client. */
public final class TestCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestCertificates() {}

  /** A leaf and its key. */
  public record Leaf(List<X509Certificate> chain, KeyPair keyPair) {
    public X509Certificate certificate() {
      return chain.get(0);
    }

    public void write(Path cert, Path key) {
      Pem.writeCertificates(cert, chain);
      Pem.writePrivateKey(key, keyPair.getPrivate());
    }
  }

  public static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048, RANDOM);
    return g.generateKeyPair();
  }

  /** A server (or client) certificate under {@code ca}, SAN localhost and 127.0.0.1. */
  public static Leaf issue(DevPki.Credential ca, X500Principal subject, Instant notBefore, Instant notAfter,
      KeyPurposeId purpose) throws Exception {
    KeyPair kp = rsa();
    var b = new JcaX509v3CertificateBuilder(ca.certificate().getSubjectX500Principal(),
        new BigInteger(127, RANDOM).setBit(0), Date.from(notBefore), Date.from(notAfter), subject, kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    X509Certificate c = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.privateKey())));
    return new Leaf(List.of(c, ca.certificate()), kp);
  }

  /** The leaf written to {@code dir} as a credential that a pusher can present and sign with. */
  public static DevPki.Credential credential(Leaf leaf, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + "-key.pem");
    leaf.write(cert, key);
    return new DevPki.Credential(cert, key, leaf.chain(), leaf.keyPair().getPrivate());
  }

  /**
   * A CRL of {@code ca}, in PEM, valid from an hour ago until {@code nextUpdate}, that revokes
   * {@code revoked}; signed with the CA's key (or with {@code signer}'s, to forge one).
   */
  public static byte[] crl(DevPki.Credential ca, DevPki.Credential signer, Instant nextUpdate, long number,
      X509Certificate... revoked) throws Exception {
    Instant now = Instant.now();
    var b = new X509v2CRLBuilder(X500Name.getInstance(ca.subject().getEncoded()), Date.from(now.minusSeconds(3600)));
    b.setNextUpdate(Date.from(nextUpdate));
    b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
    for (X509Certificate c : revoked) {
      b.addCRLEntry(c.getSerialNumber(), Date.from(now.minusSeconds(60)), CRLReason.keyCompromise);
    }
    X509CRL crl = new JcaX509CRLConverter().getCRL(
        b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.privateKey())));
    return ("-----BEGIN X509 CRL-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(crl.getEncoded())
        + "\n-----END X509 CRL-----\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /**
   * A directory laid out as Kubernetes mounts a Secret: {@code tls.crt} → {@code ..data/tls.crt},
   * {@code ..data} → {@code ..<version>}; {@link #swap} replaces {@code ..data} atomically.
   */
  public static final class SecretMount {
    private final Path dir;
    private int version;

    public SecretMount(Path dir) throws IOException {
      this.dir = Files.createDirectories(dir);
    }

    public Path file(String name) {
      return dir.resolve(name);
    }

    /** Writes a new version with these files (name → PEM bytes) and points ..data at it. */
    public void swap(java.util.Map<String, byte[]> files) throws IOException {
      Path v = Files.createDirectory(dir.resolve("..v" + (++version)));
      for (var e : files.entrySet()) {
        Files.write(v.resolve(e.getKey()), e.getValue());
        Path link = dir.resolve(e.getKey());
        if (!Files.isSymbolicLink(link)) {
          Files.createSymbolicLink(link, Path.of("..data", e.getKey()));
        }
      }
      Path tmp = dir.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, v.getFileName());
      Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * A TLS handshake with the JDK's client; returns the server's certificate. {@code client} may
   * be null (no client certificate); {@code protocol} e.g. TLSv1.2 (the server then checks the
   * client certificate inside the handshake).
   */
  public static X509Certificate handshake(int port, DevPki.Credential client, X509Certificate trusted, String protocol)
      throws Exception {
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", client.privateKey(), new char[0], client.chain().toArray(new X509Certificate[0]));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", trusted);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      s.setSoTimeout(10_000);
      s.setEnabledProtocols(new String[] {protocol});
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }
}
