package org.omspush.receiver.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.slf4j.LoggerFactory;

class CertificateExpiryTest {
  @TempDir static Path dir;
  static DevPki pki;
  static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
  final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final Logger logger = (Logger) LoggerFactory.getLogger(CertificateExpiry.class);

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir);
  }

  @BeforeEach
  void capture() {
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void release() {
    logger.detachAppender(logs);
  }

  static TestCertificates.Leaf leaf(String cn, Instant notAfter) throws Exception {
    return TestCertificates.issue(pki.isoIssuingCa(), new X500Principal("CN=" + cn + ",O=ACME Energy,C=US"),
        NOW.minus(Duration.ofDays(400)), notAfter, KeyPurposeId.id_kp_clientAuth);
  }

  private List<String> messages(Level level) {
    return logs.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void a_certificate_with_fewer_days_left_than_the_threshold_warns_and_shows_its_days() throws Exception {
    var soon = leaf("soon", NOW.plus(Duration.ofDays(10)));
    var later = leaf("later", NOW.plus(Duration.ofDays(200)));
    CertificateExpiry expiry = new CertificateExpiry(registry, 30, clock);
    expiry.track("iso-client", List.of(soon.certificate()));
    expiry.track("push-server", List.of(later.certificate()));

    assertThat(registry.get(CertificateExpiry.METRIC).tag("certificate", "iso-client")
        .tag("subject", "CN=soon,O=ACME Energy,C=US").gauge().value()).isEqualTo(10.0);
    assertThat(registry.get(CertificateExpiry.METRIC).tag("certificate", "push-server").gauge().value())
        .isEqualTo(200.0);
    assertThat(messages(Level.WARN)).singleElement().asString().contains("iso-client").contains("CN=soon")
        .contains("in 10 days");
    assertThat(messages(Level.ERROR)).isEmpty();
  }

  @Test
  void an_expired_certificate_is_an_error_with_negative_days() throws Exception {
    var gone = leaf("gone", NOW.minus(Duration.ofDays(2)));
    new CertificateExpiry(registry, 30, clock).track("iso-client-2", List.of(gone.certificate()));

    assertThat(registry.get(CertificateExpiry.METRIC).tag("certificate", "iso-client-2").gauge().value())
        .isEqualTo(-2.0);
    assertThat(messages(Level.ERROR)).singleElement().asString().contains("expired").contains("CN=gone");
    assertThat(registry.scrape()).contains("oms_certificate_expiry_days{certificate=\"iso-client-2\"");
  }

  @Test
  void the_threshold_is_configurable_and_a_reload_replaces_the_roles_gauges() throws Exception {
    var old = leaf("old", NOW.plus(Duration.ofDays(50)));
    var renewed = leaf("renewed", NOW.plus(Duration.ofDays(400)));
    CertificateExpiry expiry = new CertificateExpiry(registry, 60, clock);
    expiry.track("push-server", List.of(old.certificate()));
    assertThat(messages(Level.WARN)).hasSize(1);

    expiry.track("push-server", List.of(renewed.certificate()));
    assertThat(registry.find(CertificateExpiry.METRIC).tag("certificate", "push-server").gauges())
        .singleElement().satisfies(g -> assertThat(g.value()).isEqualTo(400.0));
    expiry.reportAll();
    assertThat(messages(Level.WARN)).hasSize(1);
  }
}
