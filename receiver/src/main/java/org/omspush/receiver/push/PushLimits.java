package org.omspush.receiver.push;

import java.time.Duration;

/**
 * What one replica's push port grants a sender, so that no sender can hold or starve it.
 *
 * @param queueTimeout   the longest wait for the in-flight budget; then 503 {@code overloaded}
 *                       with Retry-After [OMS_PUSH_QUEUE_TIMEOUT, 10s]
 * @param requestTimeout from the moment a new connection may send a request (on a kept-alive one:
 *                       from the request's headers) to the last byte of its body; then the
 *                       connection is closed
 *                       [OMS_PUSH_REQUEST_TIMEOUT, 60s]
 * @param maxConnections connections open at once; more are closed as they arrive and counted
 *                       [OMS_PUSH_MAX_CONNECTIONS, 256]
 * @param keepAlive      how long a kept-alive connection may stay idle after an answer, and then
 *                       take to send its next request's headers [OMS_PUSH_KEEPALIVE_TIMEOUT, 60s]
 */
public record PushLimits(Duration queueTimeout, Duration requestTimeout, int maxConnections, Duration keepAlive) {
  public static final PushLimits DEFAULTS =
      new PushLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 256, Duration.ofSeconds(60));
  /** The shortest keep-alive: the advertised limit must stay a few seconds inside it. */
  public static final Duration MIN_KEEP_ALIVE = Duration.ofSeconds(2);

  /**
   * What answers advertise ({@code Keep-Alive: timeout=…}): 5 s short of our own close (half of
   * it when shorter), so a client that honours it retires an idle connection before we close it,
   * instead of sending a push into a connection that is closing (which fails unanswered).
   */
  public long advertisedKeepAliveSeconds() {
    long s = keepAlive.toSeconds();
    return Math.max(1, s >= 10 ? s - 5 : s / 2);
  }
}
