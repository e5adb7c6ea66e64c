package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.pki.Pem;
import org.omspush.receiver.tls.TestCertificates;
import org.omspush.receiver.tls.TestCertificates.Leaf;
import org.omspush.receiver.tls.TestCertificates.SecretMount;
import org.omspush.store.testing.TestDatabase;

/** The payload listener's certificate is renewed without a restart: with the push server's, or on its own. */
class PayloadCertificateReloadTest {
  @TempDir Path dir;
  DevPki pki;

  @Test
  void the_payload_listener_follows_the_push_servers_renewed_certificate() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    SecretMount push = new SecretMount(dir.resolve("push"));
    push.swap(pushFiles(Files.readAllBytes(pki.receiverServer().certificateFile()),
        Files.readAllBytes(pki.receiverServer().keyFile())));
    try (TestReceiver r = TestReceiver.start(pki, TestDatabase.fresh(), Map.of(
        "OMS_TLS_CERT", push.file("tls.crt").toString(), "OMS_TLS_KEY", push.file("tls.key").toString(),
        "OMS_TLS_CLIENT_CA", push.file("ca.crt").toString(), "OMS_TLS_RELOAD_INTERVAL", "200ms"))) {
      assertThat(served(r.app.payloadPort())).isEqualTo(pki.receiverServer().certificate().getSerialNumber());

      Leaf renewed = leaf(DevPki.RECEIVER_SERVER_DN);
      push.swap(pushFiles(pem(renewed), key(renewed)));
      await(() -> served(r.app.payloadPort()).equals(renewed.certificate().getSerialNumber()));
    }
  }

  @Test
  void a_payload_certificate_of_its_own_is_served_and_reloaded_apart_from_the_push_servers() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    X500Principal name = new X500Principal("CN=payloads.oms.example,O=Participant,C=US");
    Leaf first = leaf(name);
    SecretMount payload = new SecretMount(dir.resolve("payload"));
    payload.swap(Map.of("tls.crt", pem(first), "tls.key", key(first)));
    try (TestReceiver r = TestReceiver.start(pki, TestDatabase.fresh(), Map.of(
        "OMS_PAYLOAD_TLS_CERT", payload.file("tls.crt").toString(),
        "OMS_PAYLOAD_TLS_KEY", payload.file("tls.key").toString(), "OMS_TLS_RELOAD_INTERVAL", "200ms"))) {
      assertThat(served(r.app.payloadPort())).isEqualTo(first.certificate().getSerialNumber());

      Leaf renewed = leaf(name);
      payload.swap(Map.of("tls.crt", pem(renewed), "tls.key", key(renewed)));
      await(() -> served(r.app.payloadPort()).equals(renewed.certificate().getSerialNumber()));
      assertThat(r.app.metrics().scrape()).contains("oms_certificate_expiry_days{certificate=\"payload-server\"")
          .contains("serial=\"" + renewed.certificate().getSerialNumber().toString(16) + "\"");
      assertThat(TestCertificates.handshake(r.app.pushPort(), pki.isoPushClient(), pki.serverCa().certificate(),
          "TLSv1.3").getSerialNumber()).as("the push server keeps its own")
          .isEqualTo(pki.receiverServer().certificate().getSerialNumber());
    }
  }

  private Map<String, byte[]> pushFiles(byte[] cert, byte[] key) throws Exception {
    return Map.of("tls.crt", cert, "tls.key", key, "ca.crt", Files.readAllBytes(pki.isoCaBundle()));
  }

  private Leaf leaf(X500Principal subject) throws Exception {
    Instant now = Instant.now();
    return TestCertificates.issue(pki.serverCa(), subject, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(90)),
        KeyPurposeId.id_kp_serverAuth);
  }

  private static byte[] pem(Leaf leaf) {
    return Pem.certificatesToPem(leaf.chain()).getBytes();
  }

  private static byte[] key(Leaf leaf) {
    return Pem.privateKeyToPem(leaf.keyPair().getPrivate()).getBytes();
  }

  /** The serial of the certificate the port presents to a client without a certificate of its own. */
  private BigInteger served(int port) throws Exception {
    return TestCertificates.handshake(port, null, pki.serverCa().certificate(), "TLSv1.3").getSerialNumber();
  }

  private static void await(Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.call()) {
      assertThat(System.nanoTime()).as("condition not met within 30 s").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
