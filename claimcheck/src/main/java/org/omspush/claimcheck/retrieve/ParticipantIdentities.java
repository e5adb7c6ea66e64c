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

  /** Every participant that has a certificate now, by key, with it. */
  java.util.Map<String, IsoIdentity> identities();

  /** A fixed set (tests, a single participant). */
  static ParticipantIdentities of(java.util.Map<String, IsoIdentity> byKey) {
    java.util.Map<String, IsoIdentity> copy = java.util.Map.copyOf(byKey);
    return new ParticipantIdentities() {
      @Override
      public Optional<IsoIdentity> identity(String participant) {
        return Optional.ofNullable(participant == null ? null : copy.get(participant));
      }

      @Override
      public java.util.Map<String, IsoIdentity> identities() {
        return copy;
      }
    };
  }
}
