package org.omspush.isosim.state;

import java.time.Instant;
import java.util.Objects;

/**
 * One version of an outage as the ISO holds it. Versions start at 1; {@code previousStatus} is
 * null on version 1. {@code documentSize} is the exact size in bytes of the UTF-8
 * {@code OutageDocument} that the retrieve service serves for this version.
 */
public record OutageVersion(
    String outageMRID,
    String outageType,
    long version,
    String status,
    String previousStatus,
    Instant lastModified,
    int documentSize) {

  public OutageVersion {
    Objects.requireNonNull(outageMRID, "outageMRID");
    Objects.requireNonNull(outageType, "outageType");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(lastModified, "lastModified");
    if (version < 1) {
      throw new IllegalArgumentException("versions start at 1");
    }
  }
}
