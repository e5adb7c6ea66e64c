package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.OffsetDateTime;
import java.util.function.BooleanSupplier;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.store.RedemptionStore;

/**
 * Waits for and takes the AUP gate of one (identity, service). The gate is a row moved forward
 * by one conditional statement on the database clock, so it holds across every replica; this
 * class only sleeps until the database says the gate opens.
 */
public final class AupGate {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AupGate.class);
  private final Vertx vertx;
  private final RedemptionStore store;
  private final RedemptionSettings settings;
  private final MeterRegistry metrics;
  private static final long STOP_CHECK_MS = 100;

  public AupGate(Vertx vertx, RedemptionStore store, RedemptionSettings settings, MeterRegistry metrics) {
    this.vertx = vertx;
    this.store = store;
    this.settings = settings;
    this.metrics = metrics;
  }

  /**
   * Completes with the gate once taken for this claim, or refused (403), or as soon as the claim
   * is no longer this owner's (superseded or its lease lost): then nothing was taken.
   */
  public Future<RedemptionStore.Gate> take(String participant, IsoIdentity identity, String service, Long claimId,
      String owner, BooleanSupplier stopping) {
    Promise<RedemptionStore.Gate> done = Promise.promise();
    long started = System.nanoTime();
    attempt(identity, service, claimId, owner, stopping, done);
    return done.future()
        .onSuccess(g -> {
          long waited = System.nanoTime() - started;
          Timer.builder("oms.aup.gate.wait")
              .description("Time a worker waited for the AUP gate before a call").tag("service", service)
              .publishPercentileHistogram().register(metrics).record(waited, java.util.concurrent.TimeUnit.NANOSECONDS);
          // Per participant without a histogram: 500 participants' buckets would be too many series.
          Timer.builder("oms.participant.gate.wait")
              .description("Time a worker waited for the participant's AUP gate before a call")
              .tags("service", service, "participant", participant).register(metrics)
              .record(waited, java.util.concurrent.TimeUnit.NANOSECONDS);
        });
  }

  /**
   * After the call of a take (issued at {@code issuedNanos}, setting {@code takenUntil}):
   * {@code responded} true once the answer's head arrived, false when the call failed without
   * one. The ISO saw the request, if at all, before now, so the next call needs only now plus
   * the AUP interval (database clock): after an answer the gate is set to exactly that (earlier
   * than the take's interval + margin when the answer was quick, later when it was slow), unless
   * the gate moved since. After a failure it only moves later, and only when now is past half the
   * margin after the take (earlier, the gate is already later than now + interval).
   */
  public Future<Void> answered(IsoIdentity identity, String service, long issuedNanos, OffsetDateTime takenUntil,
      boolean responded) {
    long elapsedMs = (System.nanoTime() - issuedNanos) / 1_000_000;
    boolean late = elapsedMs > settings.aupMargin().toMillis() / 2;
    if (!responded && !late) {
      return Future.succeededFuture();
    }
    if (late) {
      metrics.counter("oms.aup.late_answers", "service", service).increment();
    }
    return store.callAnswered(identity.gateKey(), service, settings.aupInterval(), responded ? takenUntil : null)
        .recover(e -> {
          log.warn("could not move the AUP gate of {} after an answer: {}", service, e.getMessage());
          return Future.succeededFuture();
        });
  }

  private void attempt(IsoIdentity identity, String service, Long claimId, String owner, BooleanSupplier stopping,
      Promise<RedemptionStore.Gate> done) {
    if (stopping.getAsBoolean()) {
      done.tryFail("stopping");
      return;
    }
    store.takeGate(identity.gateKey(), service, settings.gateInterval(), claimId, owner).onSuccess(g -> {
      if (g.taken() || g.refused() || g.claimLost()) {
        done.complete(g);
      } else {
        // Rounded up: a timer that fires before the gate opens costs another round trip.
        long waitNanos = Math.max(1, (g.waitFor().toNanos() + 999_999) / 1_000_000) * 1_000_000L;
        sleep(System.nanoTime() + waitNanos, identity, service, claimId, owner, stopping, done);
      }
    }).onFailure(done::fail);
  }

  /** Waits in short steps without asking the database, so a stopping worker leaves the wait at once. */
  private void sleep(long until, IsoIdentity identity, String service, Long claimId, String owner,
      BooleanSupplier stopping, Promise<RedemptionStore.Gate> done) {
    long left = (until - System.nanoTime()) / 1_000_000;
    if (stopping.getAsBoolean()) {
      done.tryFail("stopping");
    } else if (left <= 0) {
      attempt(identity, service, claimId, owner, stopping, done);
    } else {
      vertx.setTimer(Math.min(left, STOP_CHECK_MS), t -> sleep(until, identity, service, claimId, owner, stopping,
          done));
    }
  }
}
