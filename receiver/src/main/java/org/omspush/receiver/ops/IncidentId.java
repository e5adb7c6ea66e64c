package org.omspush.receiver.ops;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Names one failure of ours both in the answer a caller gets (which says nothing of our
 * internals) and in the ERROR log line that carries the details, so an operator who is sent the
 * one finds the other.
 */
public record IncidentId(String value) {

  public static IncidentId next() {
    byte[] b = new byte[8];
    ThreadLocalRandom.current().nextBytes(b);
    return new IncidentId(HexFormat.of().formatHex(b));
  }

  @Override
  public String toString() {
    return value;
  }
}
