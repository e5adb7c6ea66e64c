package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.BooleanSupplier;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.store.RedemptionStore;

/**
 * Waits for and takes the AUP gate of one (identity, service). The gate is a row moved forward
 * by one conditional statement on the database clock, so it holds across every replica; this
 * class only sleeps until the database says the gate opens.
 */
public final class AupGate {
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

  /** Completes true once taken (call now), false when the ISO refused the service for this identity. */
  public Future<Boolean> take(IsoIdentity identity, String service, BooleanSupplier stopping) {
    Promise<Boolean> done = Promise.promise();
    Timer.Sample waiting = Timer.start(metrics);
    attempt(identity, service, stopping, done);
    return done.future()
        .onSuccess(taken -> waiting.stop(Timer.builder("oms.aup.gate.wait")
            .description("Time a worker waited for the AUP gate before a call").tag("service", service)
            .publishPercentileHistogram().register(metrics)));
  }

  private void attempt(IsoIdentity identity, String service, BooleanSupplier stopping, Promise<Boolean> done) {
    if (stopping.getAsBoolean()) {
      done.tryFail("stopping");
      return;
    }
    store.takeGate(identity.gateKey(), service, settings.gateInterval()).onSuccess(g -> {
      if (g.taken()) {
        done.complete(true);
      } else if (g.refused()) {
        done.complete(false);
      } else {
        sleep(System.nanoTime() + Math.max(1, g.waitFor().toMillis()) * 1_000_000L, identity, service, stopping, done);
      }
    }).onFailure(done::fail);
  }

  /** Waits in short steps without asking the database, so a stopping worker leaves the wait at once. */
  private void sleep(long until, IsoIdentity identity, String service, BooleanSupplier stopping,
      Promise<Boolean> done) {
    long left = (until - System.nanoTime()) / 1_000_000;
    if (stopping.getAsBoolean()) {
      done.tryFail("stopping");
    } else if (left <= 0) {
      attempt(identity, service, stopping, done);
    } else {
      vertx.setTimer(Math.min(left, STOP_CHECK_MS), t -> sleep(until, identity, service, stopping, done));
    }
  }
}
