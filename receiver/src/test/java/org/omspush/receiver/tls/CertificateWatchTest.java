package org.omspush.receiver.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.slf4j.LoggerFactory;

class CertificateWatchTest {
  @TempDir Path dir;
  DevPki pki;
  Vertx vertx;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final List<TlsMaterial> applied = new CopyOnWriteArrayList<>();
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final Logger logger = (Logger) LoggerFactory.getLogger(CertificateWatch.class);
  TlsFiles files;
  TestCertificates.SecretMount mount;

  /** One version of the mounted Secret: the push server's set and the ISO identity. */
  private java.util.Map<String, byte[]> set(DevPki.Credential server, DevPki.Credential iso) throws Exception {
    return java.util.Map.of(
        "tls.crt", Files.readAllBytes(server.certificateFile()), "tls.key", Files.readAllBytes(server.keyFile()),
        "ca.crt", Files.readAllBytes(pki.isoCaBundle()),
        "iso.crt", Files.readAllBytes(iso.certificateFile()), "iso.key", Files.readAllBytes(iso.keyFile()));
  }

  @BeforeEach
  void start() throws Exception {
    pki = DevPki.generate(dir.resolve("pki"));
    mount = new TestCertificates.SecretMount(dir.resolve("secret"));
    mount.swap(set(pki.receiverServer(), pki.participantClient()));
    files = TlsFiles.load(mount.file("tls.crt"), mount.file("tls.key"), mount.file("ca.crt"));
    vertx = Vertx.vertx();
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void stop() throws Exception {
    logger.detachAppender(logs);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private CertificateWatch deploy(java.util.function.Function<TlsMaterial, Future<?>> apply) throws Exception {
    CertificateWatch w = new CertificateWatch(files, Duration.ofMillis(100), apply,
        new CertificateExpiry(registry, 30, Clock.systemUTC()), registry, Clock.systemUTC());
    w.watchForRestart("iso-client", mount.file("iso.crt"), mount.file("iso.key"));
    vertx.deployVerticle(w).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return w;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  @Test
  void a_changed_iso_identity_is_reported_as_needing_a_restart_not_swapped() throws Exception {
    deploy(m -> {
      applied.add(m);
      return Future.succeededFuture();
    });
    Thread.sleep(300);
    assertThat(gauge("oms_tls_restart_required")).isZero();

    mount.swap(set(pki.receiverServer(), pki.otherParticipantClient()));
    await(() -> gauge("oms_tls_restart_required") == 1.0);
    assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).singleElement()
        .extracting(ILoggingEvent::getFormattedMessage).asString().contains("iso-client").contains("restart");
    assertThat(applied).isEmpty();

    // back to what was loaded: nothing to restart for
    mount.swap(set(pki.receiverServer(), pki.participantClient()));
    await(() -> gauge("oms_tls_restart_required") == 0.0);
  }

  @Test
  void a_set_the_server_refuses_is_counted_and_retried_only_when_the_files_change_again() throws Exception {
    deploy(m -> Future.failedFuture("no"));
    mount.swap(set(pki.otherParticipantClient(), pki.participantClient()));
    await(() -> gauge("oms_tls_reload_refused") == 1.0);
    Thread.sleep(500);
    assertThat(registry.get("oms_tls_reloads_total").tag("outcome", "refused").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("oms_tls_reloads_total").tag("outcome", "applied").counter().count()).isZero();
    assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement()
        .extracting(ILoggingEvent::getFormattedMessage).asString().contains("the server refused it");
  }
}
