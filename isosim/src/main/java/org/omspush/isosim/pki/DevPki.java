package org.omspush.isosim.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.stream.IntStream;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The test PKI: the ISO's root and issuing CA with the certificates hung under them, the
 * receiver's own server CA, and the bad actors tests need (a rogue CA that copies the ISO issuing
 * CA's name, a push certificate under it, an expired push certificate).
 *
 * <p>RSA 2048, SHA256withRSA. CAs are valid 10 years, leaves 1 year; both start a day in the
 * past. Files are PEM: certificates as {@code CERTIFICATE} (a leaf file holds the leaf and then
 * its CA, so TLS sends the chain), keys as PKCS#8 {@code PRIVATE KEY} readable by the owner only.
 * Nothing here is real; generate a fresh set per test class.
 */
public final class DevPki {

  public static final X500Principal ISO_ROOT_CA_DN =
      new X500Principal("CN=CAISO_Root_CA,OU=IT,O=CAISO,C=US");
  public static final X500Principal ISO_ISSUING_CA_DN =
      new X500Principal("CN=CAISO_ISSUING_CA,OU=IT,O=CAISO,C=US");
  public static final X500Principal ISO_PUSH_CLIENT_DN =
      new X500Principal("CN=oms-push.caiso.com,OU=OMS,O=CAISO,C=US");
  public static final X500Principal ISO_SERVER_DN =
      new X500Principal("CN=localhost,OU=OMS,O=CAISO,C=US");
  public static final X500Principal PARTICIPANT_CLIENT_DN =
      new X500Principal("CN=SC_ACME_OMS,OU=Scheduling,O=ACME Energy,C=US");
  public static final X500Principal OTHER_PARTICIPANT_CLIENT_DN =
      new X500Principal("CN=SC_OTHER,OU=Scheduling,O=Other Power,C=US");
  public static final X500Principal SERVER_CA_DN =
      new X500Principal("CN=OMS Test Server CA,O=OMS Push Test,C=US");
  public static final X500Principal RECEIVER_SERVER_DN =
      new X500Principal("CN=localhost,O=OMS Push Test,C=US");

  /** File names, relative to the PKI directory. Keys are the same name with {@code -key}. */
  public static final String ISO_ROOT_CA = "iso-root-ca.pem";
  public static final String ISO_ISSUING_CA = "iso-issuing-ca.pem";
  public static final String ISO_CA_BUNDLE = "iso-ca-bundle.pem";
  public static final String ISO_PUSH_CLIENT = "iso-push-client.pem";
  public static final String ISO_SERVER = "iso-server.pem";
  public static final String PARTICIPANT_CLIENT = "participant-client.pem";
  public static final String OTHER_PARTICIPANT_CLIENT = "other-participant-client.pem";
  public static final String SERVER_CA = "server-ca.pem";
  public static final String RECEIVER_SERVER = "receiver-server.pem";
  public static final String ROGUE_CA = "rogue-ca.pem";
  public static final String ROGUE_PUSH_CLIENT = "rogue-push-client.pem";
  public static final String EXPIRED_PUSH_CLIENT = "expired-push-client.pem";

  private static final Duration BACKDATE = Duration.ofDays(1);
  private static final Duration CA_VALIDITY = Duration.ofDays(3653);
  private static final Duration LEAF_VALIDITY = Duration.ofDays(365);
  private static final int KEY_COUNT = 11;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate (with the chain stored beside it) and its key, and where both live. */
  public record Credential(
      Path certificateFile, Path keyFile, List<X509Certificate> chain, PrivateKey privateKey) {

    public Credential {
      chain = List.copyOf(chain);
    }

    /** The certificate itself (the first of the chain). */
    public X509Certificate certificate() {
      return chain.get(0);
    }

    public X500Principal subject() {
      return certificate().getSubjectX500Principal();
    }
  }

  private final Path dir;
  private final Credential isoRootCa;
  private final Credential isoIssuingCa;
  private final Credential isoPushClient;
  private final Credential isoServer;
  private final Credential participantClient;
  private final Credential otherParticipantClient;
  private final Credential serverCa;
  private final Credential receiverServer;
  private final Credential rogueCa;
  private final Credential roguePushClient;
  private final Credential expiredPushClient;

  private DevPki(Path dir) {
    this.dir = dir;
    this.isoRootCa = read(dir, ISO_ROOT_CA);
    this.isoIssuingCa = read(dir, ISO_ISSUING_CA);
    this.isoPushClient = read(dir, ISO_PUSH_CLIENT);
    this.isoServer = read(dir, ISO_SERVER);
    this.participantClient = read(dir, PARTICIPANT_CLIENT);
    this.otherParticipantClient = read(dir, OTHER_PARTICIPANT_CLIENT);
    this.serverCa = read(dir, SERVER_CA);
    this.receiverServer = read(dir, RECEIVER_SERVER);
    this.rogueCa = read(dir, ROGUE_CA);
    this.roguePushClient = read(dir, ROGUE_PUSH_CLIENT);
    this.expiredPushClient = read(dir, EXPIRED_PUSH_CLIENT);
  }

  /** Generates a fresh PKI into {@code outDir} (created if missing; files are replaced). */
  public static DevPki generate(Path outDir) {
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + outDir, e);
    }
    List<KeyPair> keys = IntStream.range(0, KEY_COUNT).parallel()
        .mapToObj(i -> newRsaKeyPair()).toList();
    Instant now = Instant.now();
    Instant notBefore = now.minus(BACKDATE);
    Instant caNotAfter = now.plus(CA_VALIDITY);
    Instant leafNotAfter = now.plus(LEAF_VALIDITY);

    Issued root = selfSignedCa(ISO_ROOT_CA_DN, keys.get(0), -1, notBefore, caNotAfter);
    Issued issuing = issue(root, ISO_ISSUING_CA_DN, keys.get(1), Profile.ca(0),
        notBefore, caNotAfter);
    Issued pushClient = issue(issuing, ISO_PUSH_CLIENT_DN, keys.get(2), Profile.CLIENT,
        notBefore, leafNotAfter);
    Issued isoServer = issue(issuing, ISO_SERVER_DN, keys.get(3), Profile.SERVER,
        notBefore, leafNotAfter);
    Issued participant = issue(issuing, PARTICIPANT_CLIENT_DN, keys.get(4), Profile.CLIENT,
        notBefore, leafNotAfter);
    Issued otherParticipant = issue(issuing, OTHER_PARTICIPANT_CLIENT_DN, keys.get(5),
        Profile.CLIENT, notBefore, leafNotAfter);
    Issued serverCa = selfSignedCa(SERVER_CA_DN, keys.get(6), 0, notBefore, caNotAfter);
    Issued receiverServer = issue(serverCa, RECEIVER_SERVER_DN, keys.get(7), Profile.SERVER,
        notBefore, leafNotAfter);
    Issued rogueCa = selfSignedCa(ISO_ISSUING_CA_DN, keys.get(8), 0, notBefore, caNotAfter);
    Issued roguePushClient = issue(rogueCa, ISO_PUSH_CLIENT_DN, keys.get(9), Profile.CLIENT,
        notBefore, leafNotAfter);
    Issued expiredPushClient = issue(issuing, ISO_PUSH_CLIENT_DN, keys.get(10), Profile.CLIENT,
        now.minus(Duration.ofDays(400)), now.minus(BACKDATE));

    write(outDir, ISO_ROOT_CA, root, List.of(root.certificate()));
    write(outDir, ISO_ISSUING_CA, issuing, List.of(issuing.certificate()));
    Pem.writeCertificates(outDir.resolve(ISO_CA_BUNDLE),
        List.of(issuing.certificate(), root.certificate()));
    write(outDir, ISO_PUSH_CLIENT, pushClient, chain(pushClient, issuing));
    write(outDir, ISO_SERVER, isoServer, chain(isoServer, issuing));
    write(outDir, PARTICIPANT_CLIENT, participant, chain(participant, issuing));
    write(outDir, OTHER_PARTICIPANT_CLIENT, otherParticipant, chain(otherParticipant, issuing));
    write(outDir, SERVER_CA, serverCa, List.of(serverCa.certificate()));
    write(outDir, RECEIVER_SERVER, receiverServer, chain(receiverServer, serverCa));
    write(outDir, ROGUE_CA, rogueCa, List.of(rogueCa.certificate()));
    write(outDir, ROGUE_PUSH_CLIENT, roguePushClient, chain(roguePushClient, rogueCa));
    write(outDir, EXPIRED_PUSH_CLIENT, expiredPushClient, chain(expiredPushClient, issuing));
    return new DevPki(outDir);
  }

  /**
   * One more participant's client certificate under the ISO issuing CA, written beside the others
   * as {@code fileName} (and its key file): for tests with more identities than the two above.
   */
  public Credential issueParticipant(X500Principal subject, String fileName) {
    Instant now = Instant.now();
    Issued issuing = new Issued(isoIssuingCa.certificate(),
        new KeyPair(isoIssuingCa.certificate().getPublicKey(), isoIssuingCa.privateKey()));
    Issued participant = issue(issuing, subject, newRsaKeyPair(), Profile.CLIENT, now.minus(BACKDATE),
        now.plus(LEAF_VALIDITY));
    write(dir, fileName, participant, chain(participant, issuing));
    return read(dir, fileName);
  }

  /** Loads a PKI that {@link #generate} wrote into {@code dir}. */
  public static DevPki load(Path dir) {
    return new DevPki(dir);
  }

  /** The name of the key file that belongs beside a certificate file. */
  public static String keyFileName(String certificateFileName) {
    return certificateFileName.replaceFirst("\\.pem$", "-key.pem");
  }

  public Path dir() {
    return dir;
  }

  /** {@code CN=CAISO_Root_CA,OU=IT,O=CAISO,C=US}, self-signed. */
  public Credential isoRootCa() {
    return isoRootCa;
  }

  /** {@code CN=CAISO_ISSUING_CA,OU=IT,O=CAISO,C=US} under the root, pathLen 0. */
  public Credential isoIssuingCa() {
    return isoIssuingCa;
  }

  /** The issuing CA and the root, in that order: what trusts the ISO's certificates. */
  public Path isoCaBundle() {
    return dir.resolve(ISO_CA_BUNDLE);
  }

  public List<X509Certificate> isoCaBundleCertificates() {
    return List.of(isoIssuingCa.certificate(), isoRootCa.certificate());
  }

  /** The ISO's push client certificate (clientAuth); its file holds leaf and issuing CA. */
  public Credential isoPushClient() {
    return isoPushClient;
  }

  /** The ISO's server certificate (serverAuth, SAN localhost and 127.0.0.1). */
  public Credential isoServer() {
    return isoServer;
  }

  /** This participant's client certificate (clientAuth) under the ISO issuing CA. */
  public Credential participantClient() {
    return participantClient;
  }

  /** Another participant's valid client certificate under the ISO issuing CA. */
  public Credential otherParticipantClient() {
    return otherParticipantClient;
  }

  /** The CA of the receiver's server certificate: what the ISO (the pusher) trusts. */
  public Credential serverCa() {
    return serverCa;
  }

  /** The receiver's server certificate (SAN localhost and 127.0.0.1); file holds leaf and CA. */
  public Credential receiverServer() {
    return receiverServer;
  }

  /** A self-signed CA with exactly the ISO issuing CA's subject, but another key. */
  public Credential rogueCa() {
    return rogueCa;
  }

  /** A client certificate with the ISO push subject, issued by the rogue CA. */
  public Credential roguePushClient() {
    return roguePushClient;
  }

  /** An ISO push client certificate whose notAfter has passed. */
  public Credential expiredPushClient() {
    return expiredPushClient;
  }

  private static Credential read(Path dir, String certificateFileName) {
    Path certificateFile = dir.resolve(certificateFileName);
    Path keyFile = dir.resolve(keyFileName(certificateFileName));
    return new Credential(certificateFile, keyFile,
        Pem.readCertificates(certificateFile), Pem.readPrivateKey(keyFile));
  }

  private static void write(Path dir, String certificateFileName, Issued issued,
      List<X509Certificate> chain) {
    Pem.writeCertificates(dir.resolve(certificateFileName), chain);
    Pem.writePrivateKey(dir.resolve(keyFileName(certificateFileName)), issued.keyPair().getPrivate());
  }

  private static List<X509Certificate> chain(Issued leaf, Issued issuer) {
    return List.of(leaf.certificate(), issuer.certificate());
  }

  private static KeyPair newRsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048, RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation is not available", e);
    }
  }

  private record Issued(X509Certificate certificate, KeyPair keyPair) {}

  /** What a certificate may do. */
  private record Profile(boolean ca, int pathLength, KeyPurposeId purpose) {
    static final Profile CLIENT = new Profile(false, -1, KeyPurposeId.id_kp_clientAuth);
    static final Profile SERVER = new Profile(false, -1, KeyPurposeId.id_kp_serverAuth);

    static Profile ca(int pathLength) {
      return new Profile(true, pathLength, null);
    }
  }

  private static Issued selfSignedCa(X500Principal subject, KeyPair keyPair, int pathLength,
      Instant notBefore, Instant notAfter) {
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
        Date.from(notBefore), Date.from(notAfter), subject, keyPair.getPublic());
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      addCaExtensions(builder, pathLength);
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(keyPair.getPublic()));
      return new Issued(sign(builder, keyPair.getPrivate()), keyPair);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build CA certificate " + subject, e);
    }
  }

  private static Issued issue(Issued issuer, X500Principal subject, KeyPair keyPair,
      Profile profile, Instant notBefore, Instant notAfter) {
    PublicKey publicKey = keyPair.getPublic();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        issuer.certificate().getSubjectX500Principal(), serial(),
        Date.from(notBefore), Date.from(notAfter), subject, publicKey);
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      if (profile.ca()) {
        addCaExtensions(builder, profile.pathLength());
      } else {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(profile.purpose()));
        if (profile.purpose().equals(KeyPurposeId.id_kp_serverAuth)) {
          builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
              new GeneralName[] {
                  new GeneralName(GeneralName.dNSName, "localhost"),
                  new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }
      }
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(publicKey));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          extensions.createAuthorityKeyIdentifier(issuer.keyPair().getPublic()));
      return new Issued(sign(builder, issuer.keyPair().getPrivate()), keyPair);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build certificate " + subject, e);
    }
  }

  private static void addCaExtensions(X509v3CertificateBuilder builder, int pathLength)
      throws CertIOException {
    builder.addExtension(Extension.basicConstraints, true,
        pathLength < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLength));
    builder.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign certificate", e);
    }
  }

  /** A random positive serial number of up to 127 bits. */
  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).setBit(0);
  }

  @Override
  public String toString() {
    return "DevPki[" + dir + "]";
  }
}
