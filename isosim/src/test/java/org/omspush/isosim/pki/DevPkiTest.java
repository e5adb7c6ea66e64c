package org.omspush.isosim.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevPkiTest {

  @TempDir static Path dir;
  static DevPki pki;

  @BeforeAll
  static void generate() {
    pki = DevPki.generate(dir);
  }

  @Test
  void push_client_chains_to_the_iso_root_through_the_issuing_ca() throws Exception {
    X509Certificate root = pki.isoRootCa().certificate();
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    parameters.setRevocationEnabled(false);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");

    CertPathValidator.getInstance("PKIX").validate(
        factory.generateCertPath(pki.isoPushClient().chain()), parameters);

    assertThat(pki.isoPushClient().chain()).hasSize(2);
    assertThat(pki.isoPushClient().chain().get(1)).isEqualTo(pki.isoIssuingCa().certificate());
    assertThat(pki.isoIssuingCa().certificate().getBasicConstraints()).isZero();
    assertThat(pki.isoPushClient().certificate().getBasicConstraints()).isEqualTo(-1);
    assertThat(pki.isoPushClient().certificate().getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(pki.isoRootCa().certificate().getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(pki.isoPushClient().certificate().getCriticalExtensionOIDs())
        .contains("2.5.29.19", "2.5.29.15");
  }

  @Test
  void names_are_the_isos_own_in_rfc_2253_form() {
    assertThat(pki.isoRootCa().subject().getName())
        .isEqualTo("CN=CAISO_Root_CA,OU=IT,O=CAISO,C=US");
    assertThat(pki.isoIssuingCa().subject().getName())
        .isEqualTo("CN=CAISO_ISSUING_CA,OU=IT,O=CAISO,C=US");
    assertThat(pki.isoPushClient().certificate().getIssuerX500Principal())
        .isEqualTo(pki.isoIssuingCa().subject());
    assertThat(pki.participantClient().subject().getName())
        .isEqualTo("CN=SC_ACME_OMS,OU=Scheduling,O=ACME Energy,C=US");
  }

  @Test
  void every_participant_certificate_passes_a_trust_manager_built_from_the_bundle()
      throws Exception {
    X509TrustManager trust = trustManager(Pem.readCertificates(pki.isoCaBundle()));

    trust.checkClientTrusted(chainArray(pki.isoPushClient()), "RSA");
    trust.checkClientTrusted(chainArray(pki.participantClient()), "RSA");
    trust.checkClientTrusted(chainArray(pki.otherParticipantClient()), "RSA");
  }

  @Test
  void rogue_push_client_is_refused_by_the_bundle_though_its_issuer_name_matches()
      throws Exception {
    X509Certificate rogue = pki.roguePushClient().certificate();
    assertThat(rogue.getIssuerX500Principal()).isEqualTo(DevPki.ISO_ISSUING_CA_DN);
    assertThat(rogue.getSubjectX500Principal()).isEqualTo(pki.isoPushClient().subject());
    assertThat(pki.rogueCa().subject()).isEqualTo(pki.isoIssuingCa().subject());

    X509TrustManager trust = trustManager(pki.isoCaBundleCertificates());
    assertThatThrownBy(() -> trust.checkClientTrusted(chainArray(pki.roguePushClient()), "RSA"))
        .isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {rogue}, "RSA"))
        .isInstanceOf(CertificateException.class);

    PKIXParameters parameters = new PKIXParameters(
        Set.of(new TrustAnchor(pki.isoRootCa().certificate(), null)));
    parameters.setRevocationEnabled(false);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    assertThatThrownBy(() -> CertPathValidator.getInstance("PKIX").validate(
        factory.generateCertPath(List.of(rogue, pki.isoIssuingCa().certificate())), parameters))
        .isInstanceOf(CertPathValidatorException.class);
  }

  @Test
  void expired_push_client_has_the_push_subject_and_is_refused() throws Exception {
    X509Certificate expired = pki.expiredPushClient().certificate();
    assertThat(expired.getSubjectX500Principal()).isEqualTo(pki.isoPushClient().subject());
    assertThat(expired.getNotAfter().toInstant()).isBefore(Instant.now());
    assertThatThrownBy(expired::checkValidity).isInstanceOf(CertificateExpiredException.class);
    X509TrustManager trust = trustManager(pki.isoCaBundleCertificates());
    assertThatThrownBy(() -> trust.checkClientTrusted(chainArray(pki.expiredPushClient()), "RSA"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void server_certificates_name_localhost_and_the_loopback_address() throws Exception {
    for (DevPki.Credential server : List.of(pki.receiverServer(), pki.isoServer())) {
      Set<String> names = server.certificate().getSubjectAlternativeNames().stream()
          .map(entry -> entry.get(0) + ":" + entry.get(1))
          .collect(Collectors.toSet());
      assertThat(names).containsExactlyInAnyOrder("2:localhost", "7:127.0.0.1");
      assertThat(server.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    }
    assertThat(pki.receiverServer().chain().get(1)).isEqualTo(pki.serverCa().certificate());
    trustManager(List.of(pki.serverCa().certificate()))
        .checkServerTrusted(chainArray(pki.receiverServer()), "RSA");
  }

  @Test
  void leaves_live_a_year_and_cas_ten_starting_yesterday() {
    Instant now = Instant.now();
    X509Certificate leaf = pki.isoPushClient().certificate();
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), now))
        .isBetween(Duration.ofHours(23), Duration.ofHours(25));
    assertThat(Duration.between(now, leaf.getNotAfter().toInstant()))
        .isBetween(Duration.ofDays(364), Duration.ofDays(366));
    assertThat(Duration.between(now, pki.isoRootCa().certificate().getNotAfter().toInstant()))
        .isGreaterThan(Duration.ofDays(3650));
    assertThat(leaf.getSerialNumber().signum()).isPositive();
    assertThat(leaf.getSerialNumber())
        .isNotEqualTo(pki.participantClient().certificate().getSerialNumber());
  }

  @Test
  void load_reads_back_what_generate_wrote() throws Exception {
    DevPki loaded = DevPki.load(dir);

    assertThat(loaded.isoPushClient().chain()).isEqualTo(pki.isoPushClient().chain());
    assertThat(loaded.isoPushClient().privateKey().getEncoded())
        .isEqualTo(pki.isoPushClient().privateKey().getEncoded());
    assertThat(loaded.roguePushClient().chain()).isEqualTo(pki.roguePushClient().chain());
    assertThat(Pem.readCertificates(loaded.isoCaBundle()))
        .containsExactly(pki.isoIssuingCa().certificate(), pki.isoRootCa().certificate());
    // the key really belongs to the certificate
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(loaded.participantClient().privateKey());
    signer.update(new byte[] {1, 2, 3});
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withRSA");
    verifier.initVerify(pki.participantClient().certificate());
    verifier.update(new byte[] {1, 2, 3});
    assertThat(verifier.verify(signature)).isTrue();
  }

  @Test
  void writes_the_promised_files_with_keys_readable_by_the_owner_only() throws Exception {
    for (String name : List.of("iso-root-ca", "iso-issuing-ca", "iso-push-client", "iso-server",
        "participant-client", "other-participant-client", "server-ca", "receiver-server",
        "rogue-ca", "rogue-push-client", "expired-push-client")) {
      assertThat(dir.resolve(name + ".pem")).isRegularFile();
      Path key = dir.resolve(name + "-key.pem");
      assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
      assertThat(Files.getPosixFilePermissions(key))
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE);
    }
    assertThat(dir.resolve("iso-ca-bundle.pem")).isRegularFile();
  }

  @Test
  void reads_pkcs1_rsa_keys_too() throws Exception {
    // PKCS#1 = the RSAPrivateKey structure inside the PKCS#8 wrapper
    byte[] pkcs8 = pki.isoServer().privateKey().getEncoded();
    byte[] pkcs1 = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(pkcs8)
        .parsePrivateKey().toASN1Primitive().getEncoded();
    String pem = "-----BEGIN RSA PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs1)
        + "\n-----END RSA PRIVATE KEY-----\n";

    assertThat(Pem.parsePrivateKey(pem).getEncoded()).isEqualTo(pkcs8);
  }

  @Test
  void every_generation_makes_new_keys(@TempDir Path other) {
    DevPki fresh = DevPki.generate(other);

    assertThat(fresh.isoRootCa().certificate()).isNotEqualTo(pki.isoRootCa().certificate());
    assertThat(fresh.isoPushClient().subject()).isEqualTo(pki.isoPushClient().subject());
  }

  private static X509Certificate[] chainArray(DevPki.Credential credential) {
    return credential.chain().toArray(X509Certificate[]::new);
  }

  private static X509TrustManager trustManager(List<X509Certificate> anchors) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    for (int i = 0; i < anchors.size(); i++) {
      store.setCertificateEntry("ca" + i, anchors.get(i));
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return (X509TrustManager) factory.getTrustManagers()[0];
  }
}
