package org.omspush.store;

import java.util.Objects;

/**
 * One push as received, before it is stored.
 *
 * @param messageId   the ISO's MessageID from CAISOWSHeader; the deduplication key, per participant
 * @param action      the SOAPAction, unquoted
 * @param clientDn    the TLS client certificate's subject, RFC 2253
 * @param documentSha256 SHA-256 (lowercase hex) of the canonical push document (the soap:Body child):
 *                    retries are re-signed, so this, not the raw bytes, tells a true duplicate from a conflict
 * @param rawXml      the whole SOAP envelope exactly as received
 * @param participant whose message it is: the key the push path named ({@link ParticipantKey})
 */
public record InboundMessage(
    String messageId, String action, String clientDn, String documentSha256, byte[] rawXml, String participant) {

  public InboundMessage {
    Objects.requireNonNull(participant, "participant");
    if (!ParticipantKey.isValid(participant)) {
      throw new IllegalArgumentException("not a participant key: " + participant);
    }
  }

  /** A message of the participant {@value ParticipantKey#DEFAULT}. */
  public InboundMessage(String messageId, String action, String clientDn, String documentSha256, byte[] rawXml) {
    this(messageId, action, clientDn, documentSha256, rawXml, ParticipantKey.DEFAULT);
  }

  /** The same message, for another participant. */
  public InboundMessage forParticipant(String key) {
    return new InboundMessage(messageId, action, clientDn, documentSha256, rawXml, key);
  }
}
