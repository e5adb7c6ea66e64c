package org.omspush.store;

import java.time.OffsetDateTime;

/**
 * A leased claim: what the worker needs to call the ISO for it.
 *
 * @param lookup             {@code TOKEN} (redeem by claim-check token) or {@code KEY} (by mRID / eventId)
 * @param tokenExpired       the token's expiry is past on the database clock
 * @param otherNewestVersion the newest version of the same outage among the other claims, or null
 * @param state              PENDING when leased; DEAD when its fetches were lost too often (then not leased)
 * @param transientFailures  failures so far that do not count toward the attempt limit
 * @param lostFetches        fetches that ended with the lease lost and no answer
 * @param lostBefore         the previous fetch was lost (this lease found it started and unanswered)
 */
public record ClaimToRedeem(
    long id,
    String kind,
    String outageMRID,
    String outageType,
    Long version,
    String status,
    String previousStatus,
    OffsetDateTime lastModified,
    String token,
    String lookup,
    String service,
    int attempts,
    String eventId,
    boolean tokenExpired,
    Long otherNewestVersion,
    String state,
    int transientFailures,
    int lostFetches,
    boolean lostBefore) {

  public boolean isOutage() {
    return "OUTAGE".equals(kind);
  }

  public boolean byKey() {
    return "KEY".equals(lookup) || token == null || tokenExpired;
  }

  /** The outage was first seen at a version after 1, or a version between the last known and this one is missing. */
  public boolean showsVersionGap() {
    if (!isOutage() || version == null) {
      return false;
    }
    long known = otherNewestVersion == null ? 0 : otherNewestVersion;
    return version > known + 1;
  }
}
