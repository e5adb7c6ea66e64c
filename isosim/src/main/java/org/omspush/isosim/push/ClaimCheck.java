package org.omspush.isosim.push;

import java.time.Instant;
import java.util.Objects;

/**
 * The reference a push carries instead of the payload: the participant redeems {@code token}
 * through the retrieve {@code service} before {@code expires}.
 */
public record ClaimCheck(String token, String service, Instant expires) {

  public static final String OUTAGE_SERVICE = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";
  public static final String MARKET_EVENT_SERVICE =
      "RetrieveMarketEventByClaimCheck_OMSv1_DocAttach_AP";

  public ClaimCheck {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(expires, "expires");
  }
}
