package org.omspush.fanout;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fan-out's meters: {@code oms_fanout_deliveries_total{outcome}} (delivered, retry, dead,
 * gone, skipped, circuit_open, lease_lost), {@code oms_fanout_delivery_latency_seconds} (event
 * created → 2xx), {@code oms_fanout_dead_letters_total}, {@code oms_fanout_queue_age_seconds}
 * (the oldest pending delivery's event) and {@code oms_fanout_queue_pending}.
 */
public final class FanoutMetrics {
  private final MeterRegistry registry;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Timer latency;
  private final Counter deadLetters;
  private final AtomicLong queueAgeMillis = new AtomicLong();
  private final AtomicLong queuePending = new AtomicLong();

  public FanoutMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.latency = Timer.builder("oms.fanout.delivery.latency")
        .description("From the event's creation to the subscriber's 2xx")
        .publishPercentiles(0.5, 0.99)
        .register(registry);
    this.deadLetters = Counter.builder("oms.fanout.dead.letters")
        .description("Deliveries that failed their last attempt (or met 410 Gone)")
        .register(registry);
    Gauge.builder("oms.fanout.queue.age", queueAgeMillis, v -> v.get() / 1000.0)
        .description("Age of the oldest pending delivery's event, seconds")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("oms.fanout.queue.pending", queuePending, AtomicLong::get)
        .description("Pending deliveries of enabled subscribers")
        .register(registry);
  }

  public void outcome(String outcome, int n) {
    if (n > 0) {
      outcomes.computeIfAbsent(outcome, o -> Counter.builder("oms.fanout.deliveries")
          .description("Delivery attempts by outcome")
          .tag("outcome", o)
          .register(registry)).increment(n);
    }
  }

  public void delivered(Duration sinceEventCreated) {
    outcome("delivered", 1);
    latency.record(sinceEventCreated.isNegative() ? Duration.ZERO : sinceEventCreated);
  }

  public void deadLetter() {
    deadLetters.increment();
  }

  public void queue(long pending, double oldestSeconds) {
    queuePending.set(pending);
    queueAgeMillis.set(Math.round(oldestSeconds * 1000));
  }

  public MeterRegistry registry() {
    return registry;
  }
}
