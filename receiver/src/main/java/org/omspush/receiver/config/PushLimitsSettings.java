package org.omspush.receiver.config;

import java.time.Duration;
import org.omspush.receiver.push.PushLimits;

/** Reads {@link PushLimits} from the environment. */
final class PushLimitsSettings {

  private PushLimitsSettings() {}

  static PushLimits from(Settings s) {
    PushLimits d = PushLimits.DEFAULTS;
    return new PushLimits(
        positive(s, "OMS_PUSH_QUEUE_TIMEOUT", d.queueTimeout()),
        positive(s, "OMS_PUSH_REQUEST_TIMEOUT", d.requestTimeout()),
        (int) Math.min(Integer.MAX_VALUE, s.positive("OMS_PUSH_MAX_CONNECTIONS", d.maxConnections())),
        keepAlive(s, d.keepAlive()));
  }

  private static Duration keepAlive(Settings s, Duration defaultValue) {
    Duration d = s.duration("OMS_PUSH_KEEPALIVE_TIMEOUT", defaultValue);
    if (d.compareTo(PushLimits.MIN_KEEP_ALIVE) < 0) {
      throw new ConfigException("OMS_PUSH_KEEPALIVE_TIMEOUT", "must be at least "
          + PushLimits.MIN_KEEP_ALIVE.toSeconds() + "s, e.g. 60s");
    }
    return d;
  }

  private static Duration positive(Settings s, String name, Duration defaultValue) {
    Duration d = s.duration(name, defaultValue);
    if (d.isZero() || d.isNegative()) {
      throw new ConfigException(name, "must be more than 0, e.g. 10s or 1m");
    }
    return d;
  }
}
