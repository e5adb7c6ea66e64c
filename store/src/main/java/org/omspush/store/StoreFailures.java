package org.omspush.store;

import io.vertx.pgclient.PgException;

/** Turns what the client or the database reported into the store's two failures. */
final class StoreFailures {

  private StoreFailures() {}

  /**
   * {@link StoreRejectedException} for bad data (SQLSTATE class 22, data exception, and 23,
   * integrity constraint violation); {@link StoreUnavailableException} for everything else:
   * connection refused or lost, pool exhausted or timed out, the server shutting down, a
   * deadlock or serialization failure, a failed commit. Either way the caller must not
   * acknowledge; only the second is worth retrying.
   */
  static RuntimeException translate(String what, Throwable failure) {
    if (failure instanceof StoreRejectedException || failure instanceof StoreUnavailableException) {
      return (RuntimeException) failure;
    }
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      if (state.startsWith("22") || state.startsWith("23")) {
        StringBuilder message = new StringBuilder(what).append(" refused by the database: ")
            .append(pg.getErrorMessage());
        if (pg.getConstraint() != null) {
          message.append(" (constraint ").append(pg.getConstraint()).append(')');
        } else if (pg.getColumn() != null) {
          message.append(" (column ").append(pg.getColumn()).append(')');
        }
        message.append(" [SQLSTATE ").append(state).append(']');
        return new StoreRejectedException(message.toString(), state, failure);
      }
      return new StoreUnavailableException(
          what + " failed in the database: " + pg.getErrorMessage() + " [SQLSTATE " + state + "]", failure);
    }
    String detail = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    return new StoreUnavailableException(what + " failed: the database is unavailable (" + detail + ")", failure);
  }
}
