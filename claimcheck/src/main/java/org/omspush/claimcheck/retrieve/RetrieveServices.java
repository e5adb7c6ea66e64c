package org.omspush.claimcheck.retrieve;

import java.util.Set;

/** The ISO's retrieve services, as the contract names them. */
public final class RetrieveServices {
  public static final String OUTAGE_BY_CLAIM_CHECK = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";
  public static final String MARKET_EVENT_BY_CLAIM_CHECK = "RetrieveMarketEventByClaimCheck_OMSv1_DocAttach_AP";
  public static final String OUTAGE_CHANGES = "RetrieveOutageChanges_OMSv1_AP";

  public static final Set<String> ALL = Set.of(OUTAGE_BY_CLAIM_CHECK, MARKET_EVENT_BY_CLAIM_CHECK, OUTAGE_CHANGES);

  private RetrieveServices() {}
}
