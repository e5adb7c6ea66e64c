package org.omspush.isosim.state;

/**
 * What a claim check token (or an mRID / eventId) stands for at the moment it is redeemed:
 * a document to serve, or why there is none.
 */
public record Redemption(Outcome outcome, OutageVersion outage, MarketEventEntry marketEvent) {

  /** How the look-up ended. */
  public enum Outcome {
    OUTAGE,
    MARKET_EVENT,
    /** The token was issued, but its expiry has passed. */
    EXPIRED_TOKEN,
    /** No such token (for this service). */
    UNKNOWN_TOKEN,
    /** The token was issued to another participant than the one whose certificate presents it. */
    NOT_ISSUED_TO_CALLER,
    /** No outage with that mRID. */
    UNKNOWN_OUTAGE,
    /** No market event with that eventId. */
    UNKNOWN_MARKET_EVENT
  }

  static Redemption of(OutageVersion outage) {
    return new Redemption(Outcome.OUTAGE, outage, null);
  }

  static Redemption of(MarketEventEntry event) {
    return new Redemption(Outcome.MARKET_EVENT, null, event);
  }

  static Redemption refused(Outcome outcome) {
    return new Redemption(outcome, null, null);
  }

  public boolean found() {
    return outcome == Outcome.OUTAGE || outcome == Outcome.MARKET_EVENT;
  }
}
