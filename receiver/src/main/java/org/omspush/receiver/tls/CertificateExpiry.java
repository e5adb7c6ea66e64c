package org.omspush.receiver.tls;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Days until each configured certificate expires, as the gauge
 * {@code oms_certificate_expiry_days{certificate, subject, serial}} (negative once expired), and
 * a WARN log when fewer than the configured days are left, ERROR once expired. A role
 * ({@code push-server}, {@code push-client-ca}, {@code iso-client}, {@code iso-ca}) is replaced as
 * a whole when its files are reloaded, so the gauges always show what is in use.
 */
public final class CertificateExpiry {
  public static final String METRIC = "oms_certificate_expiry_days";
  private static final Logger log = LoggerFactory.getLogger(CertificateExpiry.class);

  private final MeterRegistry registry;
  private final int warnDays;
  private final Clock clock;
  private final Map<String, List<Tracked>> byRole = new LinkedHashMap<>();

  private final Map<String, List<TrackedList>> listsByRole = new LinkedHashMap<>();

  private record Tracked(X509Certificate certificate, Gauge gauge) {}

  private record TrackedList(X509CRL crl, Gauge gauge) {}

  public CertificateExpiry(MeterRegistry registry, int warnDays, Clock clock) {
    this.registry = registry;
    this.warnDays = warnDays;
    this.clock = clock;
  }

  /** Replaces the certificates shown for {@code role} and logs any that expire soon. */
  public synchronized void track(String role, List<X509Certificate> certificates) {
    for (Tracked old : byRole.getOrDefault(role, List.of())) {
      registry.remove(old.gauge());
    }
    List<Tracked> now = new ArrayList<>();
    for (X509Certificate c : certificates) {
      Gauge g = Gauge.builder(METRIC, c, x -> Certificates.daysLeft(x, clock.instant()))
          .description("Days until the certificate expires (negative once expired)")
          .tag("certificate", role)
          .tag("subject", c.getSubjectX500Principal().getName())
          .tag("serial", c.getSerialNumber().toString(16))
          .register(registry);
      now.add(new Tracked(c, g));
    }
    byRole.put(role, now);
    now.forEach(t -> report(role, t.certificate()));
  }

  /**
   * Replaces the revocation lists shown for {@code role}: the gauge is the days until each list's
   * nextUpdate (a list without one has no gauge). A list past it is still used (it still names
   * what it revoked) and logged at ERROR: the CA publishes a newer one that should be mounted.
   */
  public synchronized void trackRevocations(String role, List<X509CRL> crls) {
    for (TrackedList old : listsByRole.getOrDefault(role, List.of())) {
      if (old.gauge() != null) {
        registry.remove(old.gauge());
      }
    }
    List<TrackedList> now = new ArrayList<>();
    for (X509CRL crl : crls) {
      Gauge g = crl.getNextUpdate() == null ? null
          : Gauge.builder(METRIC, crl, x -> RevocationLists.daysToNextUpdate(x, clock.instant()))
              .description("Days until the certificate expires (negative once expired)")
              .tag("certificate", role)
              .tag("subject", crl.getIssuerX500Principal().getName())
              .tag("serial", RevocationLists.number(crl))
              .register(registry);
      now.add(new TrackedList(crl, g));
    }
    listsByRole.put(role, now);
    now.forEach(t -> report(role, t.crl()));
  }

  /** Logs every certificate that expires soon or has expired, and every CRL past its nextUpdate; run daily. */
  public synchronized void reportAll() {
    byRole.forEach((role, list) -> list.forEach(t -> report(role, t.certificate())));
    listsByRole.forEach((role, list) -> list.forEach(t -> report(role, t.crl())));
  }

  private void report(String role, X509CRL crl) {
    Double days = RevocationLists.daysToNextUpdate(crl, clock.instant());
    if (days != null && days < 0) {
      log.error("{} of {} (number {}) is past its next update {}: it is still checked, but mount the CA's newer"
          + " list", role, crl.getIssuerX500Principal().getName(), RevocationLists.number(crl),
          crl.getNextUpdate().toInstant());
    }
  }

  public int warnDays() {
    return warnDays;
  }

  private void report(String role, X509Certificate c) {
    double days = Certificates.daysLeft(c, clock.instant());
    String subject = c.getSubjectX500Principal().getName();
    if (days < 0) {
      log.error("certificate {} ({}, serial {}) expired on {}: replace it now", role, subject,
          c.getSerialNumber().toString(16), c.getNotAfter().toInstant());
    } else if (days < warnDays) {
      log.warn("certificate {} ({}, serial {}) expires on {}, in {} days: renew it (warning below {} days)", role,
          subject, c.getSerialNumber().toString(16), c.getNotAfter().toInstant(), (long) Math.floor(days), warnDays);
    }
  }
}
