package org.omspush.store;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.concurrent.TimeUnit;

/** Makes the Vert.x PostgreSQL pool every store of this application uses. */
public final class Pools {

  private Pools() {}

  /**
   * A pool of at most {@code maxSize} connections to {@code url}.
   *
   * <p>Recovery: a connection the server closes (Postgres restarted, failover) leaves the pool
   * at once and is replaced on demand; while the server is down, each request fails fast
   * (connection refused, or the 5 s connect/wait timeouts) with an error the store reports as
   * {@link StoreUnavailableException}, and the first request after the server is back gets a
   * new connection. While Postgres shuts down or restarts and refuses them, new connections back off ({@link ConnectBackoff}) instead of being opened and failed again
   * and again. {@code url} should be settled by {@link ServerTls} first: with {@code prefer} the
   * client leaves a half-open connection behind at each connect. Connections are also retired after 30 minutes, so a replica rebalances to a
   * new primary without a restart. Waiting requests are bounded (64 per connection): beyond
   * that a request fails at once rather than queueing without limit.
   *
   * <p>Prepared statements are cached per connection and requests are pipelined.
   */
  public static Pool create(Vertx vertx, DatabaseUrl url, int maxSize) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("the pool needs at least one connection, not " + maxSize);
    }
    PgConnectOptions connect = url.connectOptions()
        .setCachePreparedStatements(true)
        .setPipeliningLimit(PgConnectOptions.DEFAULT_PIPELINING_LIMIT)
        // connecting is not retried inside the pool: the caller gets an answer quickly and the ISO retries
        .setReconnectAttempts(0)
        .addProperty("application_name", "oms-push");
    PoolOptions pool = new PoolOptions()
        .setMaxSize(maxSize)
        .setMaxWaitQueueSize(maxSize * 64)
        .setConnectionTimeout(5)
        .setConnectionTimeoutUnit(TimeUnit.SECONDS)
        .setIdleTimeout(5)
        .setIdleTimeoutUnit(TimeUnit.MINUTES)
        .setMaxLifetime(30)
        .setMaxLifetimeUnit(TimeUnit.MINUTES)
        .setPoolCleanerPeriod(10_000);
    NetClientOptions transport = new NetClientOptions()
        .setConnectTimeout(5_000)
        .setTcpKeepAlive(true);
    ConnectBackoff backoff = new ConnectBackoff(vertx, connect, transport, maxSize);
    return PgBuilder.pool()
        .with(pool)
        .with(transport)
        .connectingTo(backoff.options())
        .withConnectHandler(conn -> {
          backoff.connected();
          conn.close(); // hands it to the pool
        })
        .using(vertx)
        .build();
  }
}
