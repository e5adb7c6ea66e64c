package org.omspush.store.fanout;

import java.util.List;
import java.util.Objects;

/**
 * What an operator sets on a subscriber (already validated by the fan-out).
 *
 * @param outageTypes null = every outage type
 * @param markets     null = every market
 * @param participants null = every participant's events
 */
public record SubscriberFields(
    String url,
    String description,
    List<String> eventTypes,
    List<String> outageTypes,
    List<String> markets,
    List<String> participants,
    boolean enabled,
    int maxInFlight,
    String clientCertPem,
    String clientKeyPem,
    boolean validationHandshake) {

  public SubscriberFields {
    Objects.requireNonNull(url, "url");
    eventTypes = List.copyOf(eventTypes);
    outageTypes = outageTypes == null ? null : List.copyOf(outageTypes);
    markets = markets == null ? null : List.copyOf(markets);
    participants = participants == null ? null : List.copyOf(participants);
  }

  @Override
  public String toString() {
    return "SubscriberFields[url=" + url + ", eventTypes=" + eventTypes + ", outageTypes=" + outageTypes
        + ", markets=" + markets + ", participants=" + participants + ", enabled=" + enabled + ", maxInFlight=" + maxInFlight
        + ", clientCertificate=" + (clientCertPem != null) + "]";
  }
}
