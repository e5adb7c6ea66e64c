package org.omspush.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.omspush.fanout.FanoutSettings;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.Pools;
import org.omspush.store.fanout.ClaimOptions;
import org.omspush.store.fanout.DeliveryStore;
import org.omspush.store.fanout.DueDelivery;
import org.omspush.store.fanout.SuccessfulAttempt;
import org.omspush.store.secrets.SecretKeys;

/**
 * The fan-out's database floor: the receiver's own claim and {@code DELIVERED} statements
 * ({@link DeliveryStore}, the code the delivery worker calls) on a backlog of deliveries, with
 * no HTTP, no signing and no CloudEvent in between. One loop, as one replica's worker: claim up
 * to the per-subscriber limits, record them all as 2xx in one statement, claim again. The most
 * deliveries/s this Postgres gives the fan-out, so the fan-out's rate is measured against it.
 */
final class FanoutFloor {
  /** The receiver's defaults: its claim limit (deliveries in flight), payload size, breaker. */
  private static final FanoutSettings RECEIVER = FanoutSettings.defaults();

  record Result(long backlog, long recorded, long claims, double seconds) {
    double perSecond() {
      return recorded / seconds;
    }
  }

  private FanoutFloor() {}

  /**
   * Turns {@code backlog} delivered deliveries back into due ones and vacuums the table (unless told
   * not to). The receiver must not run meanwhile. Returns the deliveries now due.
   */
  static long prepare(DatabaseUrl url, long backlog, boolean vacuum) throws Exception {
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE delivery SET state = 'PENDING', attempts = 0, next_attempt_at = now(), "
          + "lease_owner = NULL, lease_until = NULL, last_status = NULL, delivered_at = NULL, updated_at = now() "
          + "WHERE id IN (SELECT id FROM delivery WHERE state = 'DELIVERED' LIMIT " + backlog + ")");
      if (vacuum) {
        // the best case, so that the ratio does not flatter the fan-out
        st.execute("VACUUM (ANALYZE) delivery");
      }
      // with what an earlier phase left undelivered
      try (var rs = st.executeQuery("SELECT count(*) FROM delivery WHERE state = 'PENDING'")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** @param keys the receiver's: they open the subscribers' secrets, without which a claim takes nothing */
  static Result drain(DatabaseUrl url, SecretKeys keys, long backlog, int poolSize, int timeoutSeconds) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    Pool pool = Pools.create(vertx, url, poolSize);
    try {
      DeliveryStore store = new DeliveryStore(pool, keys);
      ClaimOptions options = new ClaimOptions("bench-floor", 60_000, RECEIVER.maxInFlight(), RECEIVER.maxInFlight(),
          100, RECEIVER.breaker().threshold(), RECEIVER.inlinePayloadMax());
      long[] recorded = {0};
      long[] claims = {0};
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      long start = System.nanoTime();
      Promise<Void> done = Promise.promise();
      vertx.runOnContext(v -> loop(store, options, recorded, claims, deadline, done));
      done.future().toCompletionStage().toCompletableFuture().get(timeoutSeconds + 30L, TimeUnit.SECONDS);
      return new Result(backlog, recorded[0], claims[0], (System.nanoTime() - start) / 1e9);
    } finally {
      pool.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void loop(DeliveryStore store, ClaimOptions options, long[] recorded, long[] claims, long deadline,
      Promise<Void> done) {
    if (System.nanoTime() > deadline) {
      done.complete();
      return;
    }
    store.claim(options).compose(work -> {
      claims[0]++;
      if (work.deliveries().isEmpty()) {
        return Future.succeededFuture(-1);
      }
      List<SuccessfulAttempt> answers = new ArrayList<>(work.deliveries().size());
      for (DueDelivery d : work.deliveries()) {
        answers.add(new SuccessfulAttempt(d.id(), d.attempt(), 204));
      }
      return store.delivered(answers, options.owner()).map(java.util.Set::size);
    }).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
      } else if (ar.result() < 0) {
        done.complete();
      } else {
        recorded[0] += ar.result();
        loop(store, options, recorded, claims, deadline, done);
      }
    });
  }
}
