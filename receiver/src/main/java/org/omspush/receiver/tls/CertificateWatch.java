package org.omspush.receiver.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.omspush.receiver.config.CertificateSettings;
import org.omspush.receiver.config.IsoConfig;
import org.omspush.receiver.config.ReceiverConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the push server's certificate, key, client CAs and CRLs when their files change, without a
 * restart. Kubernetes updates a mounted Secret by swapping a {@code ..data} symlink, which file
 * events do not report reliably through symlinks, so the files' contents are hashed every
 * interval instead. A changed set is checked (it parses, the key belongs to the certificate, the
 * certificate has not expired) before it is handed to the server; a bad set is refused with an
 * ERROR log and {@code oms_tls_reload_refused} = 1, and the server keeps what it has. File reads
 * run on a worker thread. Also repeats the expiry warnings once a day.
 */
public final class CertificateWatch extends VerticleBase {
  public static final String ROLE = "push-server";
  /** The push port's client CRLs on {@code oms_certificate_expiry_days}: days to their nextUpdate. */
  public static final String CRL_ROLE = "push-client-crl";
  private static final Logger log = LoggerFactory.getLogger(CertificateWatch.class);
  private static final Duration EXPIRY_REPORT_INTERVAL = Duration.ofDays(1);

  private final String role;
  private final TlsFiles files;
  private final Duration interval;
  private final Function<TlsMaterial, Future<?>> apply;
  private final CertificateExpiry expiry;
  private final Clock clock;
  private final Counter applied;
  private final Counter refused;
  private final AtomicInteger failing = new AtomicInteger();
  private String current;
  private String lastRefused;
  private boolean busy;
  private long pollTimer = -1;
  private long reportTimer = -1;

  /**
   * @param apply hands a checked set to the running server; its future fails when the server refuses it
   */
  public CertificateWatch(TlsFiles files, Duration interval, Function<TlsMaterial, Future<?>> apply,
      CertificateExpiry expiry, MeterRegistry registry, Clock clock) {
    this(ROLE, files, interval, apply, expiry, registry, clock);
  }

  private CertificateWatch(String role, TlsFiles files, Duration interval, Function<TlsMaterial, Future<?>> apply,
      CertificateExpiry expiry, MeterRegistry registry, Clock clock) {
    this.role = role;
    this.files = files;
    this.interval = interval;
    this.apply = apply;
    this.expiry = expiry;
    this.clock = clock;
    this.applied = Counter.builder("oms_tls_reloads_total").tag("certificate", role).tag("outcome", "applied")
        .description("Certificate sets read again from their files and swapped into the running server")
        .register(registry);
    this.refused = Counter.builder("oms_tls_reloads_total").tag("certificate", role).tag("outcome", "refused")
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder("oms_tls_reload_refused", failing, AtomicInteger::get)
        .tag("certificate", role)
        .description("1 while the certificate files on disk are refused and the server keeps the previous ones")
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder("oms_tls_restart_required", restartRequired, AtomicInteger::get)
        .description("1 when certificate files that are read only at start-up (the ISO client identity) changed")
        .register(registry);
  }

  /**
   * The receiver's watch: the push server's files reloaded into the running server, and the
   * expiry of every configured certificate (push server and its chain, the client CAs, each ISO
   * identity, the ISO's CAs) on {@code oms_certificate_expiry_days}.
   */
  public static CertificateWatch forReceiver(ReceiverConfig config, MeterRegistry registry,
      Function<TlsMaterial, Future<?>> apply) {
    CertificateExpiry expiry = new CertificateExpiry(registry, config.certificates().warnDays(), Clock.systemUTC());
    TlsFiles tls = config.tls();
    CertificateWatch w = new CertificateWatch(tls, config.certificates().reloadInterval(), apply, expiry, registry,
        Clock.systemUTC());
    w.initial = () -> {
      expiry.track(ROLE, List.of(tls.serverChain().get(0)));
      expiry.track(ROLE + "-chain", tls.serverChain().subList(1, tls.serverChain().size()));
      expiry.track("push-client-ca", tls.clientCas());
      expiry.trackRevocations(CRL_ROLE, tls.revocations().crls());
      IsoConfig iso = config.iso();
      if (iso != null) {
        for (int i = 0; i < iso.identities().size(); i++) {
          expiry.track(i == 0 ? "iso-client" : "iso-client-" + (i + 1), List.of(iso.identities().get(i).certificate()));
        }
        expiry.track("iso-ca", TlsFiles.certificates("OMS_ISO_CA", iso.isoCa()));
      }
    };
    if (config.iso() != null) {
      for (int i = 0; i < config.iso().identities().size(); i++) {
        var id = config.iso().identities().get(i);
        w.watchForRestart(i == 0 ? "iso-client" : "iso-client-" + (i + 1), id.certificateFile(), id.keyFile());
      }
    }
    return w;
  }

  /**
   * The payload listener's own certificate (OMS_PAYLOAD_TLS_CERT/KEY), reloaded like the push
   * server's. The listener asks for no client certificate, so the chain file stands in for the
   * client CAs that the check wants.
   */
  public static CertificateWatch forPayloadListener(java.nio.file.Path cert, java.nio.file.Path key,
      CertificateSettings settings, MeterRegistry registry, Function<TlsMaterial, Future<?>> apply) {
    CertificateExpiry expiry = new CertificateExpiry(registry, settings.warnDays(), Clock.systemUTC());
    TlsFiles files = new TlsFiles(cert, key, cert, List.of(), TlsFiles.certificates("OMS_PAYLOAD_TLS_CERT", cert),
        List.of(), RevocationLists.NONE);
    CertificateWatch w = new CertificateWatch(PAYLOAD_ROLE, files, settings.reloadInterval(), apply, expiry, registry,
        Clock.systemUTC());
    w.initial = () -> {
      expiry.track(PAYLOAD_ROLE, List.of(files.serverChain().get(0)));
      expiry.track(PAYLOAD_ROLE + "-chain", files.serverChain().subList(1, files.serverChain().size()));
    };
    return w;
  }

  public static final String PAYLOAD_ROLE = "payload-server";

  private Runnable initial = () -> { };

  /** Files that are read once at start-up; a change is reported, not applied. */
  private static final class RestartOnly {
    final String role;
    final java.nio.file.Path cert;
    final java.nio.file.Path key;
    String atStart;
    String lastReported;

    RestartOnly(String role, java.nio.file.Path cert, java.nio.file.Path key) {
      this.role = role;
      this.cert = cert;
      this.key = key;
    }

    String hashNow() throws IOException {
      return TlsMaterial.hash(java.nio.file.Files.readAllBytes(cert), java.nio.file.Files.readAllBytes(key),
          new byte[0]);
    }
  }

  private final List<RestartOnly> restartOnly = new java.util.ArrayList<>();
  private final AtomicInteger restartRequired = new AtomicInteger();

  /**
   * Watches files that cannot be swapped while running: the ISO client identity is also the AUP
   * gate's key and the WS-Security signer, both fixed at start-up. A change is logged at WARN
   * (once per new content) and shown as {@code oms_tls_restart_required} = 1 until a restart.
   */
  public void watchForRestart(String role, java.nio.file.Path cert, java.nio.file.Path key) {
    restartOnly.add(new RestartOnly(role, cert, key));
  }

  private void lookAtRestartOnly() {
    boolean required = false;
    for (RestartOnly f : restartOnly) {
      String h;
      try {
        h = f.hashNow();
      } catch (IOException e) {
        continue;
      }
      if (f.atStart == null) {
        f.atStart = h;
      }
      if (h.equals(f.atStart)) {
        continue;
      }
      required = true;
      if (!h.equals(f.lastReported)) {
        f.lastReported = h;
        log.warn("the {} certificate files changed on disk ({}, {}); they are read only at start-up: restart the "
            + "receiver (e.g. kubectl rollout restart) to use them", f.role, f.cert, f.key);
      }
    }
    restartRequired.set(required ? 1 : 0);
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      initial.run();
      lookAtRestartOnly();
      return TlsMaterial.hashOf(files.certChain(), files.key(), files.clientCa(), files.crls());
    })
        .onSuccess(h -> {
          current = h;
          pollTimer = vertx.setPeriodic(interval.toMillis(), t -> poll());
          reportTimer = vertx.setPeriodic(EXPIRY_REPORT_INTERVAL.toMillis(), t -> expiry.reportAll());
          log.info("watching {}, {}, {} and the CRLs {} for changes every {} ms", files.certChain(), files.key(),
              files.clientCa(), files.crls(), interval.toMillis());
        });
  }

  /** What one look at the files found. */
  private sealed interface Look permits Unchanged, Changed, Bad {}

  private record Unchanged() implements Look {}

  private record Changed(TlsMaterial material) implements Look {}

  private record Bad(String hash, String reason) implements Look {}

  private void poll() {
    if (busy) {
      return;
    }
    busy = true;
    String known = current;
    vertx.executeBlocking(() -> {
      lookAtRestartOnly();
      return look(known);
    }, false)
        .compose(this::act)
        .onComplete(ar -> {
          busy = false;
          if (ar.failed()) {
            log.error("certificate reload check failed", ar.cause());
          }
        });
  }

  private Look look(String known) {
    byte[][] bytes;
    List<byte[]> crls;
    try {
      bytes = new byte[][] {
          java.nio.file.Files.readAllBytes(files.certChain()),
          java.nio.file.Files.readAllBytes(files.key()),
          java.nio.file.Files.readAllBytes(files.clientCa())};
      crls = RevocationLists.read(files.crls());
    } catch (IOException e) {
      return new Bad("unreadable:" + e, "cannot read the files: " + e);
    }
    try {
      TlsMaterial m = TlsMaterial.of(bytes[0], bytes[1], bytes[2], files.crls(), crls, clock.instant());
      return m.hash().equals(known) ? new Unchanged() : new Changed(m);
    } catch (TlsMaterial.Invalid e) {
      String hash = TlsMaterial.hash(bytes[0], bytes[1], bytes[2], crls);
      return hash.equals(known) ? new Unchanged() : new Bad(hash, e.getMessage());
    }
  }

  private Future<Void> act(Look look) {
    if (look instanceof Unchanged) {
      if (failing.getAndSet(0) == 1) {
        log.info("certificate files are back to the set in use");
      }
      lastRefused = null;
      return Future.succeededFuture();
    }
    if (look instanceof Bad bad) {
      refuse(bad.hash(), bad.reason());
      return Future.succeededFuture();
    }
    TlsMaterial m = ((Changed) look).material();
    return apply.apply(m).<Void>map(x -> {
      current = m.hash();
      lastRefused = null;
      failing.set(0);
      applied.increment();
      var c = m.certificate();
      log.info("{} certificate reloaded: {} (serial {}, valid until {}, SHA-256 {}); {} CRLs", role,
          c.getSubjectX500Principal().getName(), c.getSerialNumber().toString(16), c.getNotAfter().toInstant(),
          Certificates.fingerprint(c), m.revocations().crls().size());
      expiry.track(role, List.of(c));
      expiry.track(role + "-chain", m.chain().subList(1, m.chain().size()));
      if (role.equals(ROLE)) {
        expiry.track("push-client-ca", m.clientCas());
        expiry.trackRevocations(CRL_ROLE, m.revocations().crls());
      }
      return null;
    }).recover(e -> {
      refuse(m.hash(), "the server refused it: " + e.getMessage());
      return Future.succeededFuture();
    });
  }

  private void refuse(String hash, String reason) {
    failing.set(1);
    // Once per distinct bad set, not at every poll: a half-copied set usually fixes itself at the next one.
    if (!hash.equals(lastRefused)) {
      lastRefused = hash;
      refused.increment();
      log.error("new TLS files for the {} refused, keeping the current certificate: {}", role, reason);
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(pollTimer);
    vertx.cancelTimer(reportTimer);
    return Future.succeededFuture();
  }
}
