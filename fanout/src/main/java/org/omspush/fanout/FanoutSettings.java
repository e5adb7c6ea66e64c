package org.omspush.fanout;

import java.time.Duration;
import java.util.Objects;
import org.omspush.store.fanout.Breaker;

/**
 * The fan-out's settings, read once at start-up (the receiver builds them from its
 * environment; names in brackets).
 *
 * @param instanceName          in the CloudEvents source {@code urn:omspush:receiver:{name}} [OMS_INSTANCE_NAME]
 * @param inlinePayloadMax      payloads up to this many bytes go inline, larger ones by URL [OMS_INLINE_PAYLOAD_MAX]
 * @param payloadUrlTtl         how long a payload URL is valid [OMS_PAYLOAD_URL_TTL]
 * @param publicBaseUrl         where subscribers reach the receiver's payload URLs; null = {@code
 *                              https://localhost:{payload port}} [OMS_PUBLIC_BASE_URL]
 * @param guard                 the SSRF guard [OMS_SUBSCRIBER_ALLOW, OMS_SUBSCRIBER_ALLOW_HTTP]
 * @param deliveryTimeout       an attempt that has no answer by then fails [OMS_DELIVERY_TIMEOUT]
 * @param retrySchedule         delays between attempts [OMS_DELIVERY_RETRY_SCHEDULE]
 * @param breaker               the circuit breaker [OMS_DELIVERY_BREAKER_THRESHOLD, OMS_DELIVERY_BREAKER_PAUSE]
 * @param pollInterval          how often the worker looks for due deliveries without a wake-up [OMS_DELIVERY_POLL_INTERVAL]
 * @param maxInFlight           deliveries in flight per replica, over all subscribers [OMS_DELIVERY_MAX_IN_FLIGHT]
 * @param subscriberConcurrency the default per-subscriber limit of deliveries in flight [OMS_SUBSCRIBER_CONCURRENCY]
 * @param secretGrace           how long a rotated-out secret keeps signing, by default [OMS_SECRET_ROTATION_GRACE]
 * @param subscriberCaFile      null = the JVM's trusted CAs for https subscribers; else only the CAs in this PEM file [OMS_SUBSCRIBER_CA_FILE]
 */
public record FanoutSettings(
    String instanceName,
    long inlinePayloadMax,
    Duration payloadUrlTtl,
    String publicBaseUrl,
    DestinationGuard guard,
    Duration deliveryTimeout,
    RetrySchedule retrySchedule,
    Breaker breaker,
    Duration pollInterval,
    int maxInFlight,
    int subscriberConcurrency,
    Duration secretGrace,
    String subscriberCaFile) {

  public static final long DEFAULT_INLINE_PAYLOAD_MAX = 262_144;
  /** At most this much of a subscriber's answer is kept with a failed delivery. */
  public static final int RESPONSE_EXCERPT_BYTES = 2048;

  public FanoutSettings {
    Objects.requireNonNull(instanceName, "instanceName");
    Objects.requireNonNull(guard, "guard");
    Objects.requireNonNull(retrySchedule, "retrySchedule");
    Objects.requireNonNull(breaker, "breaker");
    if (inlinePayloadMax < 0) {
      throw new IllegalArgumentException("inlinePayloadMax must not be negative");
    }
    if (maxInFlight < 1 || subscriberConcurrency < 1 || subscriberConcurrency > 64) {
      throw new IllegalArgumentException("maxInFlight >= 1 and 1 <= subscriberConcurrency <= 64");
    }
  }

  /** The defaults, with https only and no allow-list. */
  public static FanoutSettings defaults() {
    return new FanoutSettings("default", DEFAULT_INLINE_PAYLOAD_MAX, Duration.ofHours(24), null,
        DestinationGuard.of(null, false), Duration.ofSeconds(15), RetrySchedule.DEFAULT,
        new Breaker(10, 30_000, 600_000), Duration.ofMillis(250), 256, 4, Duration.ofHours(24), null);
  }

  public FanoutSettings withGuard(DestinationGuard g) {
    return new FanoutSettings(instanceName, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, g, deliveryTimeout,
        retrySchedule, breaker, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withRetrySchedule(RetrySchedule r) {
    return new FanoutSettings(instanceName, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, guard, deliveryTimeout,
        r, breaker, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withBreaker(Breaker b) {
    return new FanoutSettings(instanceName, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, guard, deliveryTimeout,
        retrySchedule, b, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withDeliveryTimeout(Duration t) {
    return new FanoutSettings(instanceName, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, guard, t,
        retrySchedule, breaker, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withPayloads(long inlineMax, Duration urlTtl, String baseUrl) {
    return new FanoutSettings(instanceName, inlineMax, urlTtl, baseUrl, guard, deliveryTimeout,
        retrySchedule, breaker, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withInstanceName(String name) {
    return new FanoutSettings(name, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, guard, deliveryTimeout,
        retrySchedule, breaker, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withPollInterval(Duration p) {
    return new FanoutSettings(instanceName, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, guard, deliveryTimeout,
        retrySchedule, breaker, p, maxInFlight, subscriberConcurrency, secretGrace, subscriberCaFile);
  }

  public FanoutSettings withSubscriberCaFile(String file) {
    return new FanoutSettings(instanceName, inlinePayloadMax, payloadUrlTtl, publicBaseUrl, guard, deliveryTimeout,
        retrySchedule, breaker, pollInterval, maxInFlight, subscriberConcurrency, secretGrace, file);
  }
}
