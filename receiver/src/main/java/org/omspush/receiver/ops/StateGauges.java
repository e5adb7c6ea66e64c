package org.omspush.receiver.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.omspush.store.StateCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code oms_claims{state}}, {@code oms_deliveries{state}} and
 * {@code oms_claims_oldest_pending_age_seconds}: refreshed by one query on the pool every
 * {@link #INTERVAL} (asynchronous, never on a scrape), so a scrape costs the database nothing.
 * Every replica reports the same table-wide values: aggregate with max(), not sum().
 */
public final class StateGauges {
  private static final Logger log = LoggerFactory.getLogger(StateGauges.class);
  public static final Duration INTERVAL = Duration.ofSeconds(15);

  private final Vertx vertx;
  private final StateCounts counts;
  private final Map<String, AtomicLong> claims = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> deliveries = new ConcurrentHashMap<>();
  private final AtomicLong oldestPendingClaimMillis = new AtomicLong();
  private long timer = -1;
  private final MeterRegistry registry;
  private final org.omspush.store.RedemptionStore redemption;
  private final Map<String, AtomicLong> waiting = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> oldestByParticipant = new ConcurrentHashMap<>();

  public StateGauges(Vertx vertx, StateCounts counts, MeterRegistry registry) {
    this(vertx, counts, registry, null);
  }

  /** @param redemption for the per-participant gauges (claims waiting, oldest pending), or null */
  public StateGauges(Vertx vertx, StateCounts counts, MeterRegistry registry,
      org.omspush.store.RedemptionStore redemption) {
    this.vertx = vertx;
    this.counts = counts;
    this.registry = registry;
    this.redemption = redemption;
    for (String state : StateCounts.CLAIM_STATES) {
      AtomicLong v = new AtomicLong();
      claims.put(state, v);
      Gauge.builder("oms.claims", v, AtomicLong::get).description("Claim checks by state (the whole table)")
          .tag("state", state).register(registry);
    }
    for (String state : StateCounts.DELIVERY_STATES) {
      AtomicLong v = new AtomicLong();
      deliveries.put(state, v);
      Gauge.builder("oms.deliveries", v, AtomicLong::get).description("Deliveries to subscribers by state")
          .tag("state", state).register(registry);
    }
    Gauge.builder("oms.claims.oldest.pending.age", oldestPendingClaimMillis, v -> v.get() / 1000.0)
        .description("Age of the oldest PENDING claim check (0 when none)").baseUnit("seconds").register(registry);
  }

  /** A participant's series, from its first pending claim on (0 once it has none). */
  private void participantGauges(String participant) {
    waiting.computeIfAbsent(participant, p -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder("oms.participant.claims.waiting", v, AtomicLong::get)
          .description("PENDING claim checks of a participant (the whole table)").tag("participant", p)
          .register(registry);
      AtomicLong oldest = new AtomicLong();
      oldestByParticipant.put(p, oldest);
      Gauge.builder("oms.participant.claims.oldest.pending.age", oldest, o -> o.get() / 1000.0)
          .description("Age of a participant's oldest PENDING claim check (0 when none)").baseUnit("seconds")
          .tag("participant", p).register(registry);
      return v;
    });
  }

  /** Refreshes now and then every {@link #INTERVAL}. */
  public void start() {
    refresh();
    timer = vertx.setPeriodic(INTERVAL.toMillis(), t -> refresh());
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** One refresh; completes when the gauges hold the new values (a failure keeps the old ones). */
  public Future<Void> refresh() {
    Future<Void> perParticipant = redemption == null ? Future.succeededFuture()
        : redemption.pendingByParticipant().onSuccess(byParticipant -> {
          byParticipant.keySet().forEach(this::participantGauges);
          waiting.forEach((p, v) -> {
            var w = byParticipant.get(p);
            v.set(w == null ? 0 : w.claims());
            oldestByParticipant.get(p).set(w == null ? 0 : Math.round(w.oldestSeconds() * 1000));
          });
        }).<Void>mapEmpty().otherwiseEmpty();
    return perParticipant.compose(x -> counts.read()).onSuccess(s -> {
      s.claims().forEach((state, n) -> claims.computeIfAbsent(state, k -> new AtomicLong()).set(n));
      s.deliveries().forEach((state, n) -> deliveries.computeIfAbsent(state, k -> new AtomicLong()).set(n));
      oldestPendingClaimMillis.set(Math.round(s.oldestPendingClaimSeconds() * 1000));
    }).onFailure(e -> log.debug("state gauges not refreshed: {}", e.toString())).mapEmpty();
  }
}
