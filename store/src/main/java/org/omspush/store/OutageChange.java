package org.omspush.store;

import java.time.OffsetDateTime;

/** An OMS outage-status change as pushed by the ISO. {@code previousStatus} and {@code claimCheck} may be null. */
public record OutageChange(
    String outageMRID,
    String outageType,
    long version,
    String status,
    String previousStatus,
    OffsetDateTime lastModified,
    ClaimCheck claimCheck) {}
