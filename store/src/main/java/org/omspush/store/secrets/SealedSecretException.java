package org.omspush.store.secrets;

/** A sealed secret that cannot be opened: sealed under a key not configured here, or altered. Never carries the secret. */
public final class SealedSecretException extends RuntimeException {
  public SealedSecretException(String message) {
    super(message, null, false, false);
  }
}
