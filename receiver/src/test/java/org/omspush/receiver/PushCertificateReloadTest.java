package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.pki.Pem;
import org.omspush.receiver.tls.TlsVersionProbe;
import org.omspush.receiver.tls.TestCertificates;
import org.omspush.receiver.tls.TestCertificates.Leaf;
import org.omspush.receiver.tls.TestCertificates.SecretMount;
import org.omspush.store.testing.TestDatabase;

/** The push server's certificate is swapped from its mounted files while the receiver runs. */
class PushCertificateReloadTest {
  @TempDir static Path dir;
  static DevPki pki;
  static SecretMount mount;
  static TestReceiver receiver;

  @BeforeAll
  static void start() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    mount = new SecretMount(dir.resolve("secret"));
    mount.swap(files(Files.readAllBytes(pki.receiverServer().certificateFile()),
        Files.readAllBytes(pki.receiverServer().keyFile())));
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of(
        "OMS_TLS_CERT", mount.file("tls.crt").toString(),
        "OMS_TLS_KEY", mount.file("tls.key").toString(),
        "OMS_TLS_CLIENT_CA", mount.file("ca.crt").toString(),
        "OMS_TLS_RELOAD_INTERVAL", "200ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
  }

  static Map<String, byte[]> files(byte[] cert, byte[] key) throws Exception {
    return Map.of("tls.crt", cert, "tls.key", key, "ca.crt", Files.readAllBytes(pki.isoCaBundle()));
  }

  static Map<String, byte[]> files(Leaf leaf) throws Exception {
    return files(Pem.certificatesToPem(leaf.chain()).getBytes(), Pem.privateKeyToPem(leaf.keyPair().getPrivate())
        .getBytes());
  }

  static BigInteger servedSerial() throws Exception {
    return TestCertificates.handshake(receiver.app.pushPort(), pki.isoPushClient(), pki.serverCa().certificate(),
        "TLSv1.3").getSerialNumber();
  }

  static double refusedReloads() {
    Counter c = receiver.app.metrics().find("oms_tls_reloads_total").tag("outcome", "refused").counter();
    return c == null ? 0 : c.count();
  }

  static void await(Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.call()) {
      assertThat(System.nanoTime()).as("condition not met within 30 s").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  static Leaf leaf(Instant notBefore, Instant notAfter) throws Exception {
    return TestCertificates.issue(pki.serverCa(), DevPki.RECEIVER_SERVER_DN, notBefore, notAfter,
        KeyPurposeId.id_kp_serverAuth);
  }

  @Test
  void a_renewed_certificate_is_served_without_restart_and_broken_files_keep_the_old_one() throws Exception {
    assertThat(servedSerial()).isEqualTo(pki.receiverServer().certificate().getSerialNumber());

    Instant now = Instant.now();
    Leaf renewed = leaf(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(20)));
    mount.swap(files(renewed));
    BigInteger newSerial = renewed.certificate().getSerialNumber();
    await(() -> servedSerial().equals(newSerial));

    // the swapped-in settings are still the product's: client certificate required, TLS 1.1 refused
    assertThatThrownBy(() -> TestCertificates.handshake(receiver.app.pushPort(), null, pki.serverCa().certificate(),
        "TLSv1.2")).isInstanceOf(java.io.IOException.class);
    assertThat(TlsVersionProbe.offer("127.0.0.1", receiver.app.pushPort(), TlsVersionProbe.Version.TLS_1_1,
        Duration.ofSeconds(10)).refused()).isTrue();

    // the expiry gauge follows the reload: one push-server certificate, the new one, ~20 days left
    var gauges = receiver.app.metrics().find("oms_certificate_expiry_days").tag("certificate", "push-server").gauges();
    assertThat(gauges).hasSize(1);
    Gauge g = gauges.iterator().next();
    assertThat(g.getId().getTag("serial")).isEqualTo(newSerial.toString(16));
    assertThat(g.value()).isBetween(19.0, 20.0);

    // a key that belongs to another certificate: refused, the renewed one stays
    Leaf other = leaf(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(300)));
    mount.swap(files(Pem.certificatesToPem(other.chain()).getBytes(),
        Pem.privateKeyToPem(renewed.keyPair().getPrivate()).getBytes()));
    await(() -> refusedReloads() == 1);
    assertThat(servedSerial()).isEqualTo(newSerial);
    assertThat(receiver.app.metrics().find("oms_tls_reload_refused").gauge().value()).isEqualTo(1.0);

    // an expired certificate with its own key: refused too
    Leaf expired = leaf(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));
    mount.swap(files(expired));
    await(() -> refusedReloads() == 2);
    assertThat(servedSerial()).isEqualTo(newSerial);

    // a good set again is taken, and the refusal gauge clears
    mount.swap(files(other));
    await(() -> servedSerial().equals(other.certificate().getSerialNumber()));
    await(() -> receiver.app.metrics().find("oms_tls_reload_refused").gauge().value() == 0.0);
  }

  @Test
  void every_configured_certificate_has_an_expiry_gauge() {
    String scrape = receiver.app.metrics().scrape();
    X509Certificate caCert = pki.isoIssuingCa().certificate();
    assertThat(scrape).contains("oms_certificate_expiry_days{certificate=\"push-client-ca\"")
        .contains("subject=\"" + caCert.getSubjectX500Principal().getName() + "\"");
    assertThat(scrape).contains("oms_certificate_expiry_days{certificate=\"push-server-chain\"");
  }
}
