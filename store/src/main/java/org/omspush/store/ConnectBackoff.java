package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import io.vertx.sqlclient.SqlConnection;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pool from opening connection after connection while Postgres shuts down or restarts.
 *
 * <p>The pool does not say when a connection attempt fails, only when one succeeds. It never has
 * more attempts under way than its size, so when it asks for more attempts than that without one
 * succeeding, some have failed: the server refuses (57P03 shutting down or starting up, connection
 * refused), and a slow start-up cannot be mistaken for it. From then on, new connections
 * are refused here, without a socket, for a delay; then one attempt is made on its own, where its
 * outcome can be seen, and only when it succeeds does the pool connect again (the first is
 * made at once: after one failure a retry is normal). Each failed attempt doubles the delay, from
 * {@link #FIRST_MS} up to {@link #CAP_MS}, with jitter so that the replicas do not come back in
 * step. A request refused meanwhile fails at once with {@link StoreUnavailableException} (503 to
 * the ISO, which retries).
 */
public final class ConnectBackoff {
  static final long FIRST_MS = 250;
  static final long CAP_MS = 10_000;
  private static final Logger log = LoggerFactory.getLogger(ConnectBackoff.class);

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final NetClientOptions transport;
  private final int poolSize;
  private int failures;
  private long retryAt;
  private boolean trying;
  /** Attempts handed to the pool since its last new connection. */
  private int unconfirmed;

  ConnectBackoff(Vertx vertx, PgConnectOptions options, NetClientOptions transport, int poolSize) {
    this.vertx = vertx;
    this.options = options;
    this.transport = transport;
    this.poolSize = poolSize;
  }

  /**
   * The delay after {@code failures} failed attempts in a row: exponential from {@link #FIRST_MS},
   * capped at {@link #CAP_MS}, then drawn between half of it and all of it (jitter).
   */
  public static long delayMillis(int failures) {
    long full = failures <= 0 ? 0 : Math.min(CAP_MS, FIRST_MS << Math.min(failures - 1, 20));
    return full == 0 ? 0 : full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1);
  }

  /** For the pool's {@code connectingTo}: the options, or a failure while backing off. */
  Supplier<Future<SqlConnectOptions>> options() {
    return this::next;
  }

  /** For the pool's connect handler: the pool has a new connection, so the attempts handed out are confirmed. */
  synchronized void connected() {
    unconfirmed = 0;
  }

  private synchronized Future<SqlConnectOptions> next() {
    long now = System.nanoTime();
    if (failures == 0) {
      if (unconfirmed < poolSize) {
        unconfirmed++;
        return Future.succeededFuture(options);
      }
      unconfirmed = 0;
      failures = 1;
      retryAt = now;
      log.warn("the database refuses new connections: they back off until it accepts one again");
    }
    long waitMs = (retryAt - now) / 1_000_000;
    if (trying || waitMs > 0) {
      return Future.failedFuture(new StoreUnavailableException("the database is restarting or refusing"
          + " connections: the next attempt is in " + Math.max(waitMs, 0) + " ms", null));
    }
    trying = true;
    return tryOnce().map(v -> (SqlConnectOptions) options).andThen(ar -> settle(ar.succeeded(), ar.cause()));
  }

  /** One connection on its own, so that its outcome is seen here; closed at once. */
  private Future<Void> tryOnce() {
    // bounded like the main pool's waits, so that a server that takes the socket but never answers
    // (one that is shutting down) holds the backoff for 5 s, not the pool's default 30 s
    PoolOptions one = new PoolOptions().setMaxSize(1).setConnectionTimeout(5).setConnectionTimeoutUnit(TimeUnit.SECONDS);
    Pool single = PgBuilder.pool().with(one).with(transport).connectingTo(options)
        .using(vertx).build();
    return single.getConnection().compose(SqlConnection::close).eventually(single::close);
  }

  private synchronized void settle(boolean connected, Throwable failure) {
    trying = false;
    if (connected) {
      log.info("the database accepts connections again after {} attempts", failures);
      failures = 0;
      unconfirmed = 0;
      return;
    }
    failures++;
    long delay = delayMillis(failures);
    retryAt = System.nanoTime() + delay * 1_000_000;
    log.info("the database still refuses connections ({}); next attempt in {} ms", failure.getMessage(), delay);
  }
}
