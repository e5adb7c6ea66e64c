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
 * LISTEN/NOTIFY as a wake-up hint between replicas. Sent after commit (a NOTIFY inside the
 * ingest transaction would serialize every commit on the notification queue's lock), at once,
 * and then at most once more per channel every {@link #DEBOUNCE_MS} while calls keep coming.
 * Workers also poll, so a lost hint only delays.
 */
public final class Wakeups implements AutoCloseable {
  public static final String CLAIM_DUE = "oms_claim_due";
  public static final String EVENT = "oms_event";
  static final long DEBOUNCE_MS = 100;

  private final Vertx vertx;
  private final Pool pool;
  private final PgSubscriber subscriber;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  public Wakeups(Vertx vertx, Pool pool, DatabaseUrl url) {
    this.vertx = vertx;
    this.pool = pool;
    this.subscriber = PgSubscriber.subscriber(vertx, url.connectOptions())
        // exponential with jitter while Postgres restarts (the first retry at once: a lost LISTEN is a lost hint)
        .reconnectPolicy(retries -> ConnectBackoff.delayMillis(retries));
  }

  /**
   * Sends a NOTIFY on the channel at once, unless one went out within the last {@link
   * #DEBOUNCE_MS}: then one more goes out at the end of that window, for all the calls made
   * during it. So the first commit after a quiet spell wakes the workers without delay, and a
   * burst costs two notifications, the last of them after the burst's last commit.
   */
  public void notifySoon(String channel, String payload) {
    Window w = windows.computeIfAbsent(channel, c -> new Window());
    synchronized (w) {
      if (w.open) {
        w.trailing = true;
        return;
      }
      w.open = true;
    }
    send(channel, payload);
    vertx.setTimer(DEBOUNCE_MS, t -> close(channel, payload, w));
  }

  private void close(String channel, String payload, Window w) {
    boolean trailing;
    synchronized (w) {
      trailing = w.trailing;
      w.trailing = false;
      if (!trailing) {
        w.open = false;
      }
    }
    if (trailing) { // the window stays open for another period: calls during it collapse into one more
      send(channel, payload);
      vertx.setTimer(DEBOUNCE_MS, t -> close(channel, payload, w));
    }
  }

  private void send(String channel, String payload) {
    pool.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(channel, payload == null ? "" : payload));
  }

  /** Per channel: whether a NOTIFY went out within the window, and whether calls came since. */
  private static final class Window {
    boolean open;
    boolean trailing;
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
