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
        (int) Math.min(Integer.MAX_VALUE, s.positive("OMS_PUSH_MAX_CONNECTIONS", d.maxConnections())));
  }

  private static Duration positive(Settings s, String name, Duration defaultValue) {
    Duration d = s.duration(name, defaultValue);
    if (d.isZero() || d.isNegative()) {
      throw new ConfigException(name, "must be more than 0, e.g. 10s or 1m");
    }
    return d;
  }
}
