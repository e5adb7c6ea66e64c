package org.omspush.store.fanout;

import java.time.OffsetDateTime;

/**
 * A Standard Webhooks secret ({@code whsec_} + base64 key).
 *
 * @param expiresAt null for the current secret; set on the previous ones after a rotation
 */
public record SubscriberSecret(String secret, OffsetDateTime createdAt, OffsetDateTime expiresAt) {

  /** Safe to print: the secret itself is left out. */
  @Override
  public String toString() {
    return "SubscriberSecret[createdAt=" + createdAt + ", expiresAt=" + expiresAt + "]";
  }
}
