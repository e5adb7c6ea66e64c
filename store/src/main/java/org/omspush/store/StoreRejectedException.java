package org.omspush.store;

/**
 * The database refused the data itself (a value too long, a required value missing, a value out
 * of range): retrying the same push cannot succeed. Nothing was written: the transaction was
 * rolled back. The receiver answers such a push as bad input (400), not as 503.
 */
public final class StoreRejectedException extends IllegalArgumentException {

  private final String sqlState;

  public StoreRejectedException(String message, String sqlState, Throwable cause) {
    super(message, cause);
    this.sqlState = sqlState;
  }

  /** The PostgreSQL SQLSTATE, e.g. {@code 22001} (value too long) or {@code 23502} (not null). */
  public String sqlState() {
    return sqlState;
  }
}
