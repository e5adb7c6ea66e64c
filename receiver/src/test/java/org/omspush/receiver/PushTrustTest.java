package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.tls.TestCertificates;
import org.omspush.receiver.tls.TestCertificates.SecretMount;
import org.omspush.store.testing.TestDatabase;

/** Who may push, beyond a trusted chain: the allow-list's issuer and key pins, and the CRLs of OMS_TLS_CRL. */
class PushTrustTest {
  @TempDir static Path dir;
  static DevPki pki;
  /** The ISO push subject, issued by the ISO root CA instead of its issuing CA: trusted, same name, another key. */
  static DevPki.Credential sameSubjectOtherIssuer;
  TestReceiver receiver;

  @BeforeAll
  static void pki() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    Instant now = Instant.now();
    sameSubjectOtherIssuer = TestCertificates.credential(TestCertificates.issue(pki.isoRootCa(),
        DevPki.ISO_PUSH_CLIENT_DN, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)),
        KeyPurposeId.id_kp_clientAuth), dir.resolve("other"), "push-from-root");
  }

  @AfterEach
  void stop() throws Exception {
    if (receiver != null) {
      receiver.close();
    }
  }

  private PushResult pushAs(DevPki.Credential client) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    PushMessage m = PushMessage.outageStatusChange(new OutageStatusChange("OUT-" + UUID.randomUUID().toString()
        .substring(0, 8), "RESOURCE", 1, "RECEIVED", null, now, null)).build();
    try (Pusher p = receiver.pusher(PusherOptions.asIso(pki).clientCertificate(client))) {
      return TestReceiver.await(p.push(receiver.url(), m.soapAction(),
          PushSigner.of(client).sign(m, PushSigner.Algorithm.RSA_SHA256)));
    }
  }

  private double counter(String name, String tag, String value) {
    Counter c = receiver.app.metrics().find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

  private boolean handshakeAccepted(DevPki.Credential client) {
    try {
      // TLS 1.2: the server checks the client certificate inside the handshake
      TestCertificates.handshake(receiver.app.pushPort(), client, pki.serverCa().certificate(), "TLSv1.2");
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static void await(Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.call()) {
      assertThat(System.nanoTime()).as("condition not met within 30 s").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  void a_revoked_push_certificate_fails_its_handshake_and_the_next_crl_lets_it_in_without_restart() throws Exception {
    SecretMount crls = new SecretMount(dir.resolve("crl-mount"));
    Instant week = Instant.now().plus(Duration.ofDays(7));
    DevPki.Credential ca = pki.isoIssuingCa();
    crls.swap(Map.of("crl.pem", TestCertificates.crl(ca, ca, week, 1)));
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of(
        "OMS_TLS_CRL", crls.file("crl.pem").toString(),
        "OMS_TLS_RELOAD_INTERVAL", "200ms"));
    assertThat(pushAs(pki.isoPushClient()).statusCode()).isEqualTo(200);
    Gauge nextUpdate = receiver.app.metrics().find("oms_certificate_expiry_days").tag("certificate", "push-client-crl")
        .gauge();
    assertThat(nextUpdate).as("the CRL's days to nextUpdate").isNotNull();
    assertThat(nextUpdate.value()).isBetween(6.9, 7.0);
    assertThat(nextUpdate.getId().getTag("subject")).isEqualTo(ca.subject().getName());

    // The ISO revokes its push certificate: the next CRL names it, and the handshake fails.
    crls.swap(Map.of("crl.pem", TestCertificates.crl(ca, ca, week, 2, pki.isoPushClient().certificate())));
    await(() -> !handshakeAccepted(pki.isoPushClient()));
    assertThat(counter("oms_push_handshakes_refused_total", "reason", "revoked")).isGreaterThanOrEqualTo(1);
    assertThatThrownBy(() -> pushAs(pki.isoPushClient())).as("a push with the revoked certificate").isNotNull();
    assertThat(handshakeAccepted(pki.otherParticipantClient())).as("a certificate the CRL does not name").isTrue();

    // A list with the CA's name but not its signature is refused; the revocation stays.
    double refusedBefore = counter("oms_tls_reloads_total", "outcome", "refused");
    crls.swap(Map.of("crl.pem", TestCertificates.crl(ca, pki.rogueCa(), week, 3)));
    await(() -> counter("oms_tls_reloads_total", "outcome", "refused") > refusedBefore);
    assertThat(handshakeAccepted(pki.isoPushClient())).isFalse();

    // The next CRL no longer names it (the revocation was lifted): let in again, same process.
    crls.swap(Map.of("crl.pem", TestCertificates.crl(ca, ca, week, 4)));
    await(() -> handshakeAccepted(pki.isoPushClient()));
    assertThat(pushAs(pki.isoPushClient()).statusCode()).isEqualTo(200);
    assertThat(receiver.app.metrics().find("oms_certificate_expiry_days").tag("certificate", "push-client-crl")
        .gauge().getId().getTag("serial")).isEqualTo("4");
  }

  @Test
  void issuer_pinning_refuses_a_certificate_with_the_right_subject_from_another_issuer() throws Exception {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of("OMS_PUSH_ALLOWED_SUBJECTS",
        DevPki.ISO_PUSH_CLIENT_DN.getName() + "|issuer=" + pki.isoIssuingCa().subject().getName()));
    assertThat(pushAs(pki.isoPushClient()).statusCode()).isEqualTo(200);
    PushResult other = pushAs(sameSubjectOtherIssuer);
    assertThat(other.statusCode()).as(other.body()).isEqualTo(403);
    assertThat(other.body()).contains("client_not_allowed").contains("issuer " + pki.isoRootCa().subject().getName());
  }

  @Test
  void a_public_key_pin_accepts_the_pinned_key_and_refuses_another() throws Exception {
    String pin = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
        .digest(pki.isoPushClient().certificate().getPublicKey().getEncoded()));
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of("OMS_PUSH_ALLOWED_SUBJECTS", "sha256:" + pin));
    assertThat(pushAs(pki.isoPushClient()).statusCode()).isEqualTo(200);
    PushResult other = pushAs(sameSubjectOtherIssuer);
    assertThat(other.statusCode()).as(other.body()).isEqualTo(403);
    assertThat(other.body()).contains("client_not_allowed");
  }
}
