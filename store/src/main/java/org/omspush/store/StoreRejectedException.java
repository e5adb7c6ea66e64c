package org.omspush.store;

/**
 * The database refused the data itself (a value too long, a required value missing, a value out
 * of range): retrying the same push does not succeed until the data or the schema changes.
 * Nothing was written: the transaction was rolled back. The push endpoint answers it as a
 * storage failure (503, the ISO retries: the push passed our own checks, so the gap is ours);
 * the admin API as the client's mistake (400).
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
