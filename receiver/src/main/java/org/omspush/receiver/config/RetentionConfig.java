package org.omspush.receiver.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.omspush.store.retention.RetentionPolicy;

/**
 * Data retention: how long finished rows are kept, and how often one replica deletes what is older.
 *
 * @param policy   the ages [OMS_RETENTION_DELIVERIES 7d, OMS_RETENTION_DEAD 30d, OMS_RETENTION_EVENTS
 *                 30d, OMS_RETENTION_MESSAGES 90d]; {@code 0} or {@code off}: kept forever (null)
 * @param interval how often a run is due, over all replicas [OMS_RETENTION_INTERVAL, 1h; 1m to 1d]
 * @param firstRun from start-up to the first run (a minute: start-up and its migrations come first)
 */
public record RetentionConfig(RetentionPolicy policy, Duration interval, Duration firstRun) {
  public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);
  public static final Duration MIN_INTERVAL = Duration.ofMinutes(1);
  public static final Duration MAX_INTERVAL = Duration.ofDays(1);
  public static final Duration FIRST_RUN = Duration.ofMinutes(1);

  public static RetentionConfig from(Map<String, String> env) {
    return from(new Settings(env));
  }

  static RetentionConfig from(Settings s) {
    RetentionPolicy d = RetentionPolicy.defaults();
    RetentionPolicy policy = new RetentionPolicy(
        age(s, "OMS_RETENTION_DELIVERIES", d.deliveries()),
        age(s, "OMS_RETENTION_DEAD", d.dead()),
        age(s, "OMS_RETENTION_EVENTS", d.events()),
        age(s, "OMS_RETENTION_MESSAGES", d.messages()));
    Duration interval = duration(s, "OMS_RETENTION_INTERVAL", DEFAULT_INTERVAL, "e.g. 15m, 1h or 6h");
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
      throw new ConfigException("OMS_RETENTION_INTERVAL", "must be from 1m to 1d, not '"
          + s.string("OMS_RETENTION_INTERVAL", "") + "'");
    }
    return new RetentionConfig(policy, interval, FIRST_RUN);
  }

  /** An age; null (kept forever) for {@code 0} or {@code off}. */
  private static Duration age(Settings s, String name, Duration defaultValue) {
    String v = s.string(name, null);
    if (v != null && v.toLowerCase(Locale.ROOT).equals("off")) {
      return null;
    }
    Duration age = duration(s, name, defaultValue, "e.g. 7d, 30d or 12h; 0 or off keeps forever");
    return age.isZero() ? null : age;
  }

  private static Duration duration(Settings s, String name, Duration defaultValue, String examples) {
    Duration d;
    try {
      d = s.duration(name, defaultValue);
    } catch (ConfigException e) {
      throw new ConfigException(name, "'" + s.string(name, "") + "' is not a duration (" + examples + ")");
    }
    if (d.isNegative()) {
      throw new ConfigException(name, "'" + s.string(name, "") + "' is negative (" + examples + ")");
    }
    return d;
  }
}
