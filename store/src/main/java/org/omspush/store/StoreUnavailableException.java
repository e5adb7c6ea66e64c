package org.omspush.store;

/** The database could not be reached or did not commit: the caller must not acknowledge. */
public final class StoreUnavailableException extends RuntimeException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
