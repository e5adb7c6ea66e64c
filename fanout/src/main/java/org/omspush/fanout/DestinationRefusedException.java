package org.omspush.fanout;

/** A subscriber URL the SSRF guard does not allow, with the reason in words an operator can act on. */
public final class DestinationRefusedException extends Exception {
  public DestinationRefusedException(String message) {
    super(message, null, false, false);
  }
}
