package org.omspush.claimcheck.redeem;

import java.time.Duration;

/**
 * The rules of redemption, in one place.
 *
 * @param aupInterval      the ISO's AUP: one call per certificate and service per interval (5 s)
 * @param aupMargin        added to the interval; covers the time from taking the gate to the request's arrival
 * @param lease            how long a claim stays with a worker without renewal
 * @param maxAttempts      definitive failures before a claim is DEAD (transient ones are not counted)
 * @param backoffBase      first retry delay; doubles per failure, with jitter, up to backoffMax (also the
 *                         longest pause between two probes of an unavailable ISO service)
 * @param pollInterval     how often an idle worker looks for work without a wake-up
 * @param reconcileInterval how often catch-up asks the ISO for changes it may have missed
 * @param maxPayloadBytes  largest uncompressed document accepted
 * @param giveUpAfter      a claim failing only transiently is DEAD no sooner than this after its creation
 * @param maxLost          fetches ended with the lease lost and no answer before a claim is DEAD (receiver_lost)
 */
public record RedemptionSettings(
    Duration aupInterval,
    Duration aupMargin,
    Duration lease,
    int maxAttempts,
    Duration backoffBase,
    Duration backoffMax,
    Duration pollInterval,
    Duration reconcileInterval,
    Duration requestTimeout,
    long maxPayloadBytes,
    boolean verifyIsoSignature,
    Duration giveUpAfter,
    int maxLost) {

  public static RedemptionSettings defaults() {
    return new RedemptionSettings(Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(60), 8,
        Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofMinutes(15),
        Duration.ofSeconds(30), 64L * 1024 * 1024, true, Duration.ofHours(72), 3);
  }

  /** The spacing the gate enforces between two calls. */
  public Duration gateInterval() {
    return aupInterval.plus(aupMargin);
  }

  /** Exponential backoff with ±20 % jitter, so replicas that failed together do not retry together. */
  public Duration backoff(int attempt, java.util.random.RandomGenerator random) {
    double base = backoffBase.toMillis() * Math.pow(2, Math.max(0, attempt - 1));
    double capped = Math.min(base, backoffMax.toMillis());
    double jittered = capped * (0.8 + 0.4 * random.nextDouble());
    return Duration.ofMillis((long) jittered);
  }
}
