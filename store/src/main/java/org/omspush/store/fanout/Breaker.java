package org.omspush.store.fanout;

/**
 * The circuit breaker of every subscriber: after {@code threshold} failures in a row nothing is
 * sent for {@code pauseMillis}, doubling with each further failure up to {@code maxPauseMillis};
 * then one delivery probes, and a 2xx closes it.
 */
public record Breaker(int threshold, long pauseMillis, long maxPauseMillis) {
  public Breaker {
    if (threshold < 1 || pauseMillis < 1 || maxPauseMillis < pauseMillis) {
      throw new IllegalArgumentException("breaker: threshold >= 1, 1 <= pause <= max pause");
    }
  }
}
