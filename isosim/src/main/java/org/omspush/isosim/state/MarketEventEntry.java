package org.omspush.isosim.state;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Objects;

/**
 * A market event as the ISO holds it; {@code description} may be null. {@code documentSize} is
 * the exact size in bytes of the UTF-8 {@code MarketEventDocument} the retrieve service serves.
 */
public record MarketEventEntry(
    String eventId,
    String eventType,
    String market,
    LocalDate tradeDate,
    Instant eventTime,
    String description,
    int documentSize) {

  public MarketEventEntry {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(market, "market");
    Objects.requireNonNull(tradeDate, "tradeDate");
    Objects.requireNonNull(eventTime, "eventTime");
  }
}
