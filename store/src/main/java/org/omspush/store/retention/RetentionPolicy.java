package org.omspush.store.retention;

import java.time.Duration;

/**
 * How long rows are kept after they are finished. Each age may be null or zero: those rows are
 * kept forever. Rows still referenced, pending deliveries, pending claims and the newest claim and
 * event of each outage are kept whatever the ages.
 *
 * @param deliveries DELIVERED and SKIPPED deliveries, since their last change
 * @param dead       DEAD deliveries (dead letters an operator can replay), since their last change
 * @param events     events no delivery refers to, and payloads nothing refers to, since created
 * @param messages   finished claims (since their last change), market events and raw inbound pushes
 */
public record RetentionPolicy(Duration deliveries, Duration dead, Duration events, Duration messages) {

  public RetentionPolicy {
    for (Duration d : new Duration[] {deliveries, dead, events, messages}) {
      if (d != null && d.isNegative()) {
        throw new IllegalArgumentException("a retention age cannot be negative: " + d);
      }
    }
  }

  /** 7 days for finished deliveries, 30 for dead letters and events, 90 for claims and pushes. */
  public static RetentionPolicy defaults() {
    return new RetentionPolicy(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(30), Duration.ofDays(90));
  }

  /** Nothing is ever deleted. */
  public static RetentionPolicy keepForever() {
    return new RetentionPolicy(null, null, null, null);
  }

  /** Whether no rule deletes anything. */
  public boolean keepsEverything() {
    return forever(deliveries) && forever(dead) && forever(events) && forever(messages);
  }

  static boolean forever(Duration age) {
    return age == null || age.isZero();
  }

  Duration age(RetentionSql.Age which) {
    return switch (which) {
      case DELIVERIES -> deliveries;
      case DEAD -> dead;
      case EVENTS -> events;
      case MESSAGES -> messages;
    };
  }
}
