package org.omspush.store;

import io.vertx.pgclient.PgException;
import java.util.List;

/**
 * Tells what a failure from the database client means: the database refused the data, the
 * database cannot serve now, or neither (a defect of ours). The one place for that rule.
 */
public final class StoreFailures {

  private StoreFailures() {}

  /**
   * The database refused the data itself: SQLSTATE class 22 (data exception) or 23 (integrity
   * constraint violation). The request is wrong, not the database; nothing was written.
   */
  public static boolean refusedData(Throwable failure) {
    if (failure instanceof StoreRejectedException) {
      return true;
    }
    String state = sqlState(failure);
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }

  /**
   * The database cannot be reached or cannot serve now, and a retry later can succeed: no
   * connection (refused, lost, closed, timed out, the pool waited too long), or the server said
   * so (SQLSTATE classes 08 connection, 40 transaction rollback, 53 insufficient resources,
   * 55 object not in prerequisite state (e.g. a database not accepting connections), 57 operator
   * intervention (shutting down), 58 system error, 28 and 3D for a login it refuses).
   */
  public static boolean unavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StoreUnavailableException || t instanceof java.io.IOException
          || t instanceof java.util.concurrent.TimeoutException
          || t instanceof io.vertx.sqlclient.ClosedConnectionException
          || t.getClass().getSimpleName().contains("Timeout")) {
        return true;
      }
      if (t instanceof PgException pg) {
        String state = pg.getSqlState() == null ? "" : pg.getSqlState();
        return state.length() >= 2 && List.of("08", "28", "3D", "40", "53", "55", "57", "58")
            .contains(state.substring(0, 2));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static String sqlState(Throwable failure) {
    for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getSqlState();
      }
    }
    return null;
  }

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
      if (refusedData(pg)) {
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
