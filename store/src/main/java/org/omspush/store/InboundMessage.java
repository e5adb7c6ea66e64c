package org.omspush.store;

/**
 * One push as received, before it is stored.
 *
 * @param messageId   the ISO's MessageID from CAISOWSHeader; the deduplication key
 * @param action      the SOAPAction, unquoted
 * @param clientDn    the TLS client certificate's subject, RFC 2253
 * @param documentSha256 SHA-256 (lowercase hex) of the canonical push document (the soap:Body child):
 *                    retries are re-signed, so this, not the raw bytes, tells a true duplicate from a conflict
 * @param rawXml      the whole SOAP envelope exactly as received
 */
public record InboundMessage(String messageId, String action, String clientDn, String documentSha256, byte[] rawXml) {}
