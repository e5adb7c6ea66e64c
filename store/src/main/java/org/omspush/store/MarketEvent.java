package org.omspush.store;

import java.time.LocalDate;
import java.time.OffsetDateTime;

/** A market event such as MARKET_CLOSED. {@code description} and {@code claimCheck} may be null. */
public record MarketEvent(
    String eventId,
    String eventType,
    String market,
    LocalDate tradeDate,
    OffsetDateTime eventTime,
    String description,
    ClaimCheck claimCheck) {}
