package org.omspush.isosim.server;

/** A request refused with a fault; carries the fault as a value. */
final class RefusedException extends Exception {
  private final RetrieveFault fault;

  RefusedException(RetrieveFault fault) {
    super(fault.description(), null, false, false);
    this.fault = fault;
  }

  RetrieveFault fault() {
    return fault;
  }
}
