package org.omspush.claimcheck.retrieve;

import java.util.Map;

/**
 * What a retrieved document says about itself: its root element and the text of the header
 * fields among the root's children ({@code outageMRID}, {@code version}, … or {@code eventId}, …),
 * read while the document streamed by. The rest of the document is opaque.
 */
public record DocumentHead(String namespace, String rootName, Map<String, String> fields) {

  /** The header fields the contract names, for an outage and for a market event. */
  static final java.util.Set<String> FIELD_NAMES = java.util.Set.of("outageMRID", "outageType", "version", "status",
      "lastModified", "eventId", "eventType", "market", "tradeDate", "eventTime");

  public DocumentHead {
    fields = Map.copyOf(fields);
  }

  /** A header field's text, stripped; null when the document has none. */
  public String text(String name) {
    String v = fields.get(name);
    return v == null ? null : v.strip();
  }
}
