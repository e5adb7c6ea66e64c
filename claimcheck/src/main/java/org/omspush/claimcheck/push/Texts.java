package org.omspush.claimcheck.push;

/** Keeps sender-supplied text short and printable before it goes into a fault or a log line. */
final class Texts {
  private static final int MAX = 80;

  private Texts() {}

  static String clip(String s) {
    String oneLine = s.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() > MAX ? oneLine.substring(0, MAX) + "…" : oneLine;
  }
}
