package org.omspush.isosim.push;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Objects;

/**
 * The body of a {@code receiveMarketEvent_v1} push; {@code description} and {@code claimCheck}
 * may be null.
 */
public record MarketEvent(
    String eventId,
    String eventType,
    String market,
    LocalDate tradeDate,
    Instant eventTime,
    String description,
    ClaimCheck claimCheck) {

  public MarketEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(market, "market");
    Objects.requireNonNull(tradeDate, "tradeDate");
    Objects.requireNonNull(eventTime, "eventTime");
  }

  /** The same event carrying another claim check (null for none). */
  public MarketEvent withClaimCheck(ClaimCheck check) {
    return new MarketEvent(eventId, eventType, market, tradeDate, eventTime, description, check);
  }
}
