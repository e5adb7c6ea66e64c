package org.omspush.store.fanout;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * A system that receives events, as stored.
 *
 * @param outageTypes    null = every outage type (upper case otherwise)
 * @param markets        null = every market (upper case otherwise)
 * @param participants   null = every participant's events
 * @param clientKeyPem   the private key of the client certificate; never shown by the admin API
 * @param pausedUntil    null, or until when the circuit breaker keeps deliveries back
 * @param secrets        the secrets that sign now, newest (the current one) first
 */
public record Subscriber(
    UUID id,
    String url,
    String description,
    List<String> eventTypes,
    List<String> outageTypes,
    List<String> markets,
    List<String> participants,
    boolean enabled,
    String disabledReason,
    int maxInFlight,
    String clientCertPem,
    String clientKeyPem,
    boolean validationHandshake,
    int consecutiveFailures,
    OffsetDateTime pausedUntil,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    List<SubscriberSecret> secrets) {

  public Subscriber {
    eventTypes = List.copyOf(eventTypes);
    outageTypes = outageTypes == null ? null : List.copyOf(outageTypes);
    markets = markets == null ? null : List.copyOf(markets);
    participants = participants == null ? null : List.copyOf(participants);
    secrets = List.copyOf(secrets);
  }

  /** What an operator can set, as in {@link SubscriberFields}. */
  public SubscriberFields fields() {
    return new SubscriberFields(url, description, eventTypes, outageTypes, markets, participants, enabled, maxInFlight,
        clientCertPem, clientKeyPem, validationHandshake);
  }

  /** Safe to log: without the client key and the secrets. */
  @Override
  public String toString() {
    return "Subscriber[id=" + id + ", url=" + url + ", eventTypes=" + eventTypes + ", outageTypes=" + outageTypes
        + ", markets=" + markets + ", participants=" + participants + ", enabled=" + enabled + ", maxInFlight=" + maxInFlight + ", clientCertificate="
        + (clientCertPem != null) + ", consecutiveFailures=" + consecutiveFailures + ", pausedUntil=" + pausedUntil + "]";
  }
}
