package org.omspush.receiver.config;

/** A setting that is missing or wrong: printed as one line that names it, then start-up stops. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String setting, String problem) {
    super(setting + ": " + problem, null, false, false);
  }
}
