package org.omspush.isosim.state;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Objects;

/**
 * A place in the order of outage changes: (lastModified, outageMRID). A position made from a
 * {@code since} time has no mRID and lies after every change at that instant (since is
 * exclusive). {@link #toCursor()} writes it as the opaque {@code cursor} of the changes service.
 */
public record ChangePosition(Instant lastModified, String outageMRID) {

  private static final String PREFIX = "c1:";

  /** Orders versions by lastModified, then mRID. */
  static final Comparator<OutageVersion> ORDER = Comparator
      .comparing(OutageVersion::lastModified)
      .thenComparing(OutageVersion::outageMRID);

  public ChangePosition {
    Objects.requireNonNull(lastModified, "lastModified");
  }

  /** Everything modified strictly after {@code since}. */
  public static ChangePosition after(Instant since) {
    return new ChangePosition(since, null);
  }

  static ChangePosition of(OutageVersion version) {
    return new ChangePosition(version.lastModified(), version.outageMRID());
  }

  /** True when the version lies after this position. */
  boolean precedes(OutageVersion version) {
    int byTime = version.lastModified().compareTo(lastModified);
    if (byTime != 0) {
      return byTime > 0;
    }
    return outageMRID != null && version.outageMRID().compareTo(outageMRID) > 0;
  }

  /** The opaque cursor text (base64url, no padding). */
  public String toCursor() {
    String plain = PREFIX + lastModified.getEpochSecond() + "." + lastModified.getNano()
        + (outageMRID == null ? "" : ":" + outageMRID);
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads a cursor written by {@link #toCursor()}; anything else is an IllegalArgumentException. */
  public static ChangePosition fromCursor(String cursor) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(cursor.strip()),
          StandardCharsets.UTF_8);
      if (!plain.startsWith(PREFIX)) {
        throw new IllegalArgumentException("not a cursor of this service");
      }
      String rest = plain.substring(PREFIX.length());
      int colon = rest.indexOf(':');
      String time = colon < 0 ? rest : rest.substring(0, colon);
      String mrid = colon < 0 ? null : rest.substring(colon + 1);
      int dot = time.indexOf('.');
      Instant instant = Instant.ofEpochSecond(Long.parseLong(time.substring(0, dot)),
          Long.parseLong(time.substring(dot + 1)));
      return new ChangePosition(instant, mrid);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("unreadable cursor '" + cursor + "'", e);
    }
  }
}
