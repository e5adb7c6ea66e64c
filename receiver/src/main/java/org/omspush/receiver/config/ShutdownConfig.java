package org.omspush.receiver.config;

import java.time.Duration;
import java.util.Map;

/**
 * How the receiver drains on SIGTERM.
 *
 * @param drainDelay how long readiness is false before the push port closes, so the Service stops
 *                   routing here first [OMS_DRAIN_DELAY, 5s]
 * @param timeout    from SIGTERM to exit, drain delay included; must stay below the pod's
 *                   terminationGracePeriodSeconds [OMS_SHUTDOWN_TIMEOUT, 25s]
 */
public record ShutdownConfig(Duration drainDelay, Duration timeout) {

  public static ShutdownConfig fromEnvironment() {
    return from(System.getenv());
  }

  public static ShutdownConfig from(Map<String, String> env) {
    Settings s = new Settings(env);
    Duration delay = s.duration("OMS_DRAIN_DELAY", Duration.ofSeconds(5));
    Duration timeout = s.duration("OMS_SHUTDOWN_TIMEOUT", Duration.ofSeconds(25));
    if (timeout.isZero() || timeout.isNegative()) {
      throw new ConfigException("OMS_SHUTDOWN_TIMEOUT", "must be more than 0");
    }
    if (delay.compareTo(timeout) >= 0) {
      throw new ConfigException("OMS_DRAIN_DELAY", "(" + delay.toMillis() + " ms) must be shorter than "
          + "OMS_SHUTDOWN_TIMEOUT (" + timeout.toMillis() + " ms): in-flight pushes need time after it");
    }
    return new ShutdownConfig(delay, timeout);
  }
}
