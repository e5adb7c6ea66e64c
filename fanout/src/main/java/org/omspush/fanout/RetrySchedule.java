package org.omspush.fanout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * The one place that says when a failed delivery is tried again: after attempt {@code k} fails,
 * the next one is due {@code delays[k-1]} later (±20 % jitter, so subscribers that failed
 * together are not all retried in the same instant); after the last delay's attempt fails, the
 * delivery is dead-lettered. The default spreads 11 attempts over about a day.
 */
public record RetrySchedule(List<Duration> delays) {

  /** 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, 2 h, 4 h, 8 h, 8 h: 11 attempts over about 23.7 hours. */
  public static final RetrySchedule DEFAULT = parse("5s,30s,2m,10m,30m,1h,2h,4h,8h,8h");

  /** How much a delay varies either way. */
  public static final double JITTER = 0.2;

  public RetrySchedule {
    delays = List.copyOf(delays);
    for (Duration d : delays) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("every delay must be more than zero");
      }
    }
  }

  /**
   * A comma-separated list of delays, e.g. {@code 5s,30s,2m,10m}; empty or {@code none} = a
   * single attempt.
   *
   * @throws IllegalArgumentException naming the delay that is wrong
   */
  public static RetrySchedule parse(String text) {
    List<Duration> out = new ArrayList<>();
    String t = text == null ? "" : text.strip();
    if (!t.isEmpty() && !t.equalsIgnoreCase("none")) {
      for (String part : t.split(",")) {
        out.add(Durations.parse(part));
      }
    }
    return new RetrySchedule(out);
  }

  /** Attempts in all, the first one included. */
  public int attempts() {
    return delays.size() + 1;
  }

  /** Whether attempt {@code attempt} (1 = the first) was the last. */
  public boolean isLast(int attempt) {
    return attempt >= attempts();
  }

  /** The delay after attempt {@code attempt} failed, with jitter; only when it was not the last. */
  public Duration delayAfter(int attempt) {
    if (isLast(attempt)) {
      throw new IllegalArgumentException("attempt " + attempt + " was the last");
    }
    Duration base = delays.get(Math.max(0, attempt - 1));
    double factor = 1 + JITTER * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    return Duration.ofMillis(Math.max(1, Math.round(base.toMillis() * factor)));
  }

  /** The sum of the delays (without jitter): how long a delivery is retried. */
  public Duration span() {
    return delays.stream().reduce(Duration.ZERO, Duration::plus);
  }

  @Override
  public String toString() {
    return delays.stream().map(Durations::format).collect(Collectors.joining(","));
  }
}
