package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * LISTEN/NOTIFY as a wake-up hint between replicas. Sent after commit and at most once per
 * channel every {@link #DEBOUNCE_MS}: a NOTIFY inside the ingest transaction would serialize
 * every commit on the notification queue's lock. Workers also poll, so a lost hint only delays.
 */
public final class Wakeups implements AutoCloseable {
  public static final String CLAIM_DUE = "oms_claim_due";
  public static final String EVENT = "oms_event";
  static final long DEBOUNCE_MS = 100;

  private final Vertx vertx;
  private final Pool pool;
  private final PgSubscriber subscriber;
  private final Map<String, Boolean> pending = new ConcurrentHashMap<>();

  public Wakeups(Vertx vertx, Pool pool, DatabaseUrl url) {
    this.vertx = vertx;
    this.pool = pool;
    this.subscriber = PgSubscriber.subscriber(vertx, url.connectOptions())
        .reconnectPolicy(retries -> 1000L);
  }

  /** Sends a NOTIFY on the channel soon; many calls within the debounce window send one. */
  public void notifySoon(String channel, String payload) {
    if (pending.putIfAbsent(channel, Boolean.TRUE) != null) {
      return;
    }
    vertx.setTimer(DEBOUNCE_MS, t -> {
      pending.remove(channel);
      pool.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(channel, payload == null ? "" : payload));
    });
  }

  /** Calls {@code handler} with each notification's payload; reconnects by itself. */
  public Future<Void> listen(String channel, Consumer<String> handler) {
    subscriber.channel(channel).handler(handler::accept);
    return subscriber.actualConnection() != null ? Future.succeededFuture() : subscriber.connect();
  }

  @Override
  public void close() {
    subscriber.close();
  }
}
