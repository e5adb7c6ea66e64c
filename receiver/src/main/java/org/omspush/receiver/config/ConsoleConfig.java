package org.omspush.receiver.config;

import java.time.Duration;

/**
 * The operator console's settings (the console itself runs on the admin port, with the admin API).
 *
 * @param viewToken  OMS_CONSOLE_VIEW_TOKEN: signs in read-only; null = only the admin token signs in
 * @param sessionTtl OMS_CONSOLE_SESSION_TTL (default 8h): how long a signed-in session lasts
 */
public record ConsoleConfig(String viewToken, Duration sessionTtl) {
  public static final Duration DEFAULT_TTL = Duration.ofHours(8);

  @Override
  public String toString() {
    return "ConsoleConfig[viewToken=" + (viewToken == null ? "unset" : "***") + ", sessionTtl=" + sessionTtl + "]";
  }

  static ConsoleConfig from(Settings s, String adminToken) {
    String view = s.string("OMS_CONSOLE_VIEW_TOKEN", null);
    if (view != null && view.length() < FanoutConfig.MIN_TOKEN_LENGTH) {
      throw new ConfigException("OMS_CONSOLE_VIEW_TOKEN", "must be at least " + FanoutConfig.MIN_TOKEN_LENGTH
          + " characters (e.g. openssl rand -hex 32)");
    }
    if (view != null && view.equals(adminToken)) {
      throw new ConfigException("OMS_CONSOLE_VIEW_TOKEN", "must differ from OMS_ADMIN_TOKEN (it signs in read-only)");
    }
    Duration ttl = s.duration("OMS_CONSOLE_SESSION_TTL", DEFAULT_TTL);
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofDays(7)) > 0) {
      throw new ConfigException("OMS_CONSOLE_SESSION_TTL", "must be from 1s to 7d, not " + ttl);
    }
    return new ConsoleConfig(view, ttl);
  }
}
