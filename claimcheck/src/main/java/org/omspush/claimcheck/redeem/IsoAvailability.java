package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether each retrieve service answers, as this replica sees it. A transient failure alone
 * (one claim's timeout) is that claim's: it backs off by itself. A second one in a row opens an
 * outage of the service: one WARN line, {@code oms_iso_unavailable{service}} = 1, and the lanes
 * of the service probe it with one claim at a time, backing off up to the retry maximum, while
 * the claims keep their places in the queue. The first answer ends it: one INFO line, the gauge
 * back to 0, and the backlog drains at the AUP rate, oldest first. Used on the worker's context.
 */
final class IsoAvailability {
  private static final Logger log = LoggerFactory.getLogger(IsoAvailability.class);

  private final class Service {
    final AtomicInteger unavailable = new AtomicInteger();
    int failuresInARow;
    long outageStartedNanos;
    long probeAtNanos;
  }

  private final MeterRegistry metrics;
  private final RedemptionSettings settings;
  private final RandomGenerator random;
  private final Map<String, Service> services = new HashMap<>();

  IsoAvailability(MeterRegistry metrics, RedemptionSettings settings, RandomGenerator random) {
    this.metrics = metrics;
    this.settings = settings;
    this.random = random;
  }

  /** Shows the service's gauge at 0 from the start. */
  void register(String service) {
    services.computeIfAbsent(service, s -> {
      Service state = new Service();
      Gauge.builder("oms.iso.unavailable", state.unavailable, AtomicInteger::get)
          .description("1 while the ISO answers this retrieve service only with transient failures (this replica)")
          .tag("service", s).register(metrics);
      return state;
    });
  }

  /**
   * A transient failure of a call to the service. @return true when the service is in an outage:
   * the failing claim keeps its place instead of backing off by itself
   */
  boolean failed(String service, String reason) {
    Service s = services.get(service);
    s.failuresInARow++;
    if (s.failuresInARow == 1) {
      return false;
    }
    long now = System.nanoTime();
    if (s.failuresInARow == 2) {
      s.outageStartedNanos = now;
      s.unavailable.set(1);
      log.warn("ISO service {} unavailable ({}): claims keep their place in the queue and are not counted as "
          + "attempts; probing with one claim at a time, at most every {} s", service, reason,
          settings.backoffMax().toSeconds());
    }
    s.probeAtNanos = now + settings.backoff(s.failuresInARow - 1, random).toNanos();
    return true;
  }

  /** The service answered (whatever the answer): an outage, if any, is over. */
  void answered(String service) {
    Service s = services.get(service);
    if (s.failuresInARow >= 2) {
      log.info("ISO service {} available again after {} s and {} failed calls; the backlog drains at the AUP rate, "
          + "oldest first", service, Duration.ofNanos(System.nanoTime() - s.outageStartedNanos).toSeconds(),
          s.failuresInARow);
    }
    s.failuresInARow = 0;
    s.probeAtNanos = 0;
    s.unavailable.set(0);
  }

  /** The service is in an outage: one probe at a time. */
  boolean inOutage(String service) {
    Service s = services.get(service);
    return s != null && s.failuresInARow >= 2;
  }

  /** How long the lanes of the service wait before the next probe; 0 when no outage holds them. */
  long millisUntilProbe(String service) {
    Service s = services.get(service);
    if (s.failuresInARow < 2) {
      return 0;
    }
    return Math.max(0, (s.probeAtNanos - System.nanoTime()) / 1_000_000);
  }
}
