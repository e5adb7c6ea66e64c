package org.omspush.receiver.push;

import java.time.Duration;

/**
 * What one replica's push port grants a sender, so that no sender can hold or starve it.
 *
 * @param queueTimeout   the longest wait for the in-flight budget; then 503 {@code overloaded}
 *                       with Retry-After [OMS_PUSH_QUEUE_TIMEOUT, 10s]
 * @param requestTimeout from the moment a connection may send a request to the last byte of its
 *                       body, headers included; then the connection is closed
 *                       [OMS_PUSH_REQUEST_TIMEOUT, 60s]
 * @param maxConnections connections open at once; more are closed as they arrive and counted
 *                       [OMS_PUSH_MAX_CONNECTIONS, 256]
 */
public record PushLimits(Duration queueTimeout, Duration requestTimeout, int maxConnections) {
  public static final PushLimits DEFAULTS = new PushLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 256);
}
