package org.omspush.isosim.push;

import java.time.Instant;
import java.util.Objects;

/**
 * The body of a {@code receiveOutageStatusChange_v1} push. {@code previousStatus} is left out of
 * the XML on version 1 or when null; {@code claimCheck} may be null.
 */
public record OutageStatusChange(
    String outageMRID,
    String outageType,
    long version,
    String status,
    String previousStatus,
    Instant lastModified,
    ClaimCheck claimCheck) {

  public OutageStatusChange {
    Objects.requireNonNull(outageMRID, "outageMRID");
    Objects.requireNonNull(outageType, "outageType");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(lastModified, "lastModified");
  }

  /** The same change carrying another claim check (null for none). */
  public OutageStatusChange withClaimCheck(ClaimCheck check) {
    return new OutageStatusChange(
        outageMRID, outageType, version, status, previousStatus, lastModified, check);
  }
}
