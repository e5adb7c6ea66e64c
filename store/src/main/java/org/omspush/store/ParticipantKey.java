package org.omspush.store;

import java.util.regex.Pattern;

/**
 * The key that names a participant of the deployment (iso-interface.md, "Several participants in
 * one deployment"): the last segment of its push path, its directory under {@code
 * OMS_PARTICIPANTS_DIR}, and a column of every row it owns. The migrations check the same pattern.
 */
public final class ParticipantKey {

  /** The participant of a single-participant deployment: the bare push path, {@code OMS_ISO_CERT}. */
  public static final String DEFAULT = "default";

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  private ParticipantKey() {}

  public static boolean isValid(String key) {
    return key != null && KEY.matcher(key).matches();
  }
}
