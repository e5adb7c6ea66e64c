package org.omspush.receiver.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.omspush.fanout.DestinationGuard;
import org.omspush.fanout.Durations;
import org.omspush.fanout.FanoutSettings;
import org.omspush.fanout.RetrySchedule;
import org.omspush.store.fanout.Breaker;

/**
 * The admin API and the fan-out's settings.
 *
 * @param adminHost  OMS_ADMIN_HOST (default 0.0.0.0)
 * @param adminPort  OMS_ADMIN_PORT (default 8081; 0 = any free port)
 * @param adminToken OMS_ADMIN_TOKEN; null = the admin API stays off
 */
public record FanoutConfig(String adminHost, int adminPort, String adminToken, FanoutSettings fanout) {

  /** Shorter tokens are refused: the token is the only thing that protects the admin API. */
  public static final int MIN_TOKEN_LENGTH = 16;

  @Override
  public String toString() {
    return "FanoutConfig[adminHost=" + adminHost + ", adminPort=" + adminPort + ", adminToken="
        + (adminToken == null ? "unset" : "***") + ", fanout=" + fanout + "]";
  }

  static FanoutConfig from(Settings s) {
    String token = s.string("OMS_ADMIN_TOKEN", null);
    if (token != null && token.length() < MIN_TOKEN_LENGTH) {
      throw new ConfigException("OMS_ADMIN_TOKEN", "must be at least " + MIN_TOKEN_LENGTH
          + " characters (e.g. openssl rand -hex 32)");
    }
    String instance = s.string("OMS_INSTANCE_NAME", "default");
    if (!instance.matches("[A-Za-z0-9._-]{1,63}")) {
      throw new ConfigException("OMS_INSTANCE_NAME", "1 to 63 letters, digits, '.', '_' or '-', not '" + instance + "'");
    }
    long inlineMax = s.number("OMS_INLINE_PAYLOAD_MAX", FanoutSettings.DEFAULT_INLINE_PAYLOAD_MAX);
    if (inlineMax < 0) {
      throw new ConfigException("OMS_INLINE_PAYLOAD_MAX", "must be 0 or more bytes, not " + inlineMax);
    }
    FanoutSettings d = FanoutSettings.defaults();
    Duration urlTtl = duration(s, "OMS_PAYLOAD_URL_TTL", d.payloadUrlTtl(), Duration.ofSeconds(1), Duration.ofDays(7));
    Duration timeout = duration(s, "OMS_DELIVERY_TIMEOUT", d.deliveryTimeout(), Duration.ofMillis(100),
        Duration.ofMinutes(5));
    Duration poll = duration(s, "OMS_DELIVERY_POLL_INTERVAL", d.pollInterval(), Duration.ofMillis(10),
        Duration.ofMinutes(1));
    Duration grace = duration(s, "OMS_SECRET_ROTATION_GRACE", d.secretGrace(), Duration.ZERO, Duration.ofDays(30));
    Duration pause = duration(s, "OMS_DELIVERY_BREAKER_PAUSE", Duration.ofMillis(d.breaker().pauseMillis()),
        Duration.ofMillis(1), Duration.ofDays(1));
    int threshold = (int) s.positive("OMS_DELIVERY_BREAKER_THRESHOLD", d.breaker().threshold());
    RetrySchedule schedule;
    try {
      String text = s.string("OMS_DELIVERY_RETRY_SCHEDULE", null);
      schedule = text == null ? d.retrySchedule() : RetrySchedule.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("OMS_DELIVERY_RETRY_SCHEDULE", e.getMessage() + " (e.g. 5s,30s,2m,10m,30m,1h)");
    }
    DestinationGuard guard;
    try {
      guard = DestinationGuard.of(s.string("OMS_SUBSCRIBER_ALLOW", null), s.bool("OMS_SUBSCRIBER_ALLOW_HTTP", false));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("OMS_SUBSCRIBER_ALLOW", e.getMessage() + " (e.g. 127.0.0.1/32,hooks.internal)");
    }
    int concurrency = (int) s.positive("OMS_SUBSCRIBER_CONCURRENCY", d.subscriberConcurrency());
    if (concurrency > 64) {
      throw new ConfigException("OMS_SUBSCRIBER_CONCURRENCY", "must be 1 to 64, not " + concurrency);
    }
    String caFile = s.string("OMS_SUBSCRIBER_CA_FILE", null);
    if (caFile != null && !Files.isReadable(Path.of(caFile))) {
      throw new ConfigException("OMS_SUBSCRIBER_CA_FILE", "cannot read " + caFile);
    }
    FanoutSettings fanout = new FanoutSettings(instance, inlineMax, urlTtl, baseUrl(s), guard, timeout, schedule,
        new Breaker(threshold, pause.toMillis(), Math.max(pause.toMillis(), Duration.ofMinutes(10).toMillis())),
        poll, (int) s.positive("OMS_DELIVERY_MAX_IN_FLIGHT", d.maxInFlight()), concurrency, grace, caFile);
    return new FanoutConfig(s.string("OMS_ADMIN_HOST", "0.0.0.0"), s.port("OMS_ADMIN_PORT", 8081), token, fanout);
  }

  /** https only: subscribers may refuse any other link (events.md); http only with OMS_PAYLOAD_ALLOW_HTTP=true. */
  static String baseUrl(Settings s) {
    String v = s.string("OMS_PUBLIC_BASE_URL", null);
    if (v == null) {
      return null;
    }
    boolean httpAllowed = PayloadConfig.httpAllowed(s);
    try {
      URI u = new URI(v);
      if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null || u.getRawQuery() != null
          || u.getRawFragment() != null || u.getRawUserInfo() != null) {
        throw new URISyntaxException(v, "not an http(s) URL");
      }
      if (u.getScheme().equals("http") && !httpAllowed) {
        throw new ConfigException("OMS_PUBLIC_BASE_URL", "must be https://… (payload links are HTTPS URLs), not "
            + v + "; for trials only, OMS_PAYLOAD_ALLOW_HTTP=true permits http");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException("OMS_PUBLIC_BASE_URL",
          "must be the receiver's public https URL without query, e.g. https://oms.example.com");
    }
    return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
  }

  private static Duration duration(Settings s, String name, Duration defaultValue, Duration min, Duration max) {
    String v = s.string(name, null);
    Duration d;
    try {
      d = v == null ? defaultValue : Durations.parse(v);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name, e.getMessage());
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException(name, "must be between " + Durations.format(min) + " and " + Durations.format(max)
          + ", not " + v);
    }
    return d;
  }
}
