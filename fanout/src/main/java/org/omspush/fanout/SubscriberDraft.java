package org.omspush.fanout;

import java.util.List;

/**
 * A subscriber as an operator asks for it: every field for a creation (url and eventTypes
 * required), or only those that change for an update (null = unchanged).
 *
 * @param eventTypes            {@code outage.status-changed}, {@code market.event} (or the full CloudEvents types)
 * @param outageTypes           an empty list = every outage type
 * @param markets               an empty list = every market
 * @param participants          participant keys; an empty list = every participant
 * @param clientCertPem         with clientKeyPem: a client certificate for subscribers that require mutual TLS
 * @param removeClientCertificate on update: drop the client certificate
 * @param validationHandshake   run the CloudEvents webhook validation handshake before accepting the URL
 * @param secret                {@code whsec_…}; null on creation = one is generated
 */
public record SubscriberDraft(
    String url,
    String description,
    List<String> eventTypes,
    List<String> outageTypes,
    List<String> markets,
    List<String> participants,
    Boolean enabled,
    Integer maxInFlight,
    String clientCertPem,
    String clientKeyPem,
    boolean removeClientCertificate,
    Boolean validationHandshake,
    String secret) {

  /** The fields a script sends most: url and event types. */
  public static SubscriberDraft of(String url, List<String> eventTypes) {
    return new SubscriberDraft(url, null, eventTypes, null, null, null, null, null, null, null, false, null, null);
  }

  public SubscriberDraft withSecret(String s) {
    return new SubscriberDraft(url, description, eventTypes, outageTypes, markets, participants, enabled, maxInFlight,
        clientCertPem, clientKeyPem, removeClientCertificate, validationHandshake, s);
  }

  public SubscriberDraft withFilters(List<String> outage, List<String> market) {
    return new SubscriberDraft(url, description, eventTypes, outage, market, participants, enabled, maxInFlight,
        clientCertPem, clientKeyPem, removeClientCertificate, validationHandshake, secret);
  }

  public SubscriberDraft withParticipants(List<String> keys) {
    return new SubscriberDraft(url, description, eventTypes, outageTypes, markets, keys, enabled, maxInFlight,
        clientCertPem, clientKeyPem, removeClientCertificate, validationHandshake, secret);
  }

  public SubscriberDraft withMaxInFlight(Integer n) {
    return new SubscriberDraft(url, description, eventTypes, outageTypes, markets, participants, enabled, n,
        clientCertPem, clientKeyPem, removeClientCertificate, validationHandshake, secret);
  }

  public SubscriberDraft withEnabled(Boolean e) {
    return new SubscriberDraft(url, description, eventTypes, outageTypes, markets, participants, e, maxInFlight,
        clientCertPem, clientKeyPem, removeClientCertificate, validationHandshake, secret);
  }

  public SubscriberDraft withClientCertificate(String certPem, String keyPem) {
    return new SubscriberDraft(url, description, eventTypes, outageTypes, markets, participants, enabled, maxInFlight,
        certPem, keyPem, removeClientCertificate, validationHandshake, secret);
  }

  public SubscriberDraft withValidationHandshake(Boolean v) {
    return new SubscriberDraft(url, description, eventTypes, outageTypes, markets, participants, enabled, maxInFlight,
        clientCertPem, clientKeyPem, removeClientCertificate, v, secret);
  }

  @Override
  public String toString() {
    return "SubscriberDraft[url=" + url + ", eventTypes=" + eventTypes + ", outageTypes=" + outageTypes
        + ", markets=" + markets + ", participants=" + participants + ", enabled=" + enabled + "]";
  }
}
