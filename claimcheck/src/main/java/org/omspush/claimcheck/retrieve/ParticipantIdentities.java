package org.omspush.claimcheck.retrieve;

import java.util.Optional;

/**
 * Which certificate calls the ISO for a participant. A participant uses one certificate at a
 * time, the newest valid one (iso-interface.md, "Several participants in one deployment"); the
 * answer may change while the receiver runs (a renewed or removed certificate).
 */
public interface ParticipantIdentities {

  /** The identity that redeems this participant's claims now; empty when it has none (or is no participant). */
  Optional<IsoIdentity> identity(String participant);
}
