package org.omspush.receiver.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Typed reads of the environment, each failure naming its setting. */
final class Settings {
  private final Map<String, String> env;

  Settings(Map<String, String> env) {
    this.env = env;
  }

  String string(String name, String defaultValue) {
    String v = env.get(name);
    return v == null || v.isBlank() ? defaultValue : v.strip();
  }

  String required(String name, String what) {
    String v = string(name, null);
    if (v == null) {
      throw new ConfigException(name, "not set; " + what);
    }
    return v;
  }

  int port(String name, int defaultValue) {
    int p = (int) number(name, defaultValue);
    if (p < 0 || p > 65535) {
      throw new ConfigException(name, "'" + p + "' is not a TCP port (0-65535)");
    }
    return p;
  }

  long number(String name, long defaultValue) {
    String v = string(name, null);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new ConfigException(name, "'" + v + "' is not a whole number");
    }
  }

  long positive(String name, long defaultValue) {
    long n = number(name, defaultValue);
    if (n < 1) {
      throw new ConfigException(name, "must be 1 or more, not " + n);
    }
    return n;
  }

  /** {@code 500ms}, {@code 5s}, {@code 15m}, {@code 1h}, {@code 2d}, ISO-8601 ({@code PT5S}), or {@code 0}. */
  java.time.Duration duration(String name, java.time.Duration defaultValue) {
    String v = string(name, null);
    if (v == null) {
      return defaultValue;
    }
    if (v.equals("0")) {
      return java.time.Duration.ZERO;
    }
    try {
      var m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)").matcher(v.toLowerCase(java.util.Locale.ROOT));
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> java.time.Duration.ofMillis(n);
          case "s" -> java.time.Duration.ofSeconds(n);
          case "m" -> java.time.Duration.ofMinutes(n);
          case "h" -> java.time.Duration.ofHours(n);
          default -> java.time.Duration.ofDays(n);
        };
      }
      return java.time.Duration.parse(v);
    } catch (RuntimeException e) {
      throw new ConfigException(name, "'" + v + "' is not a duration (e.g. 500ms, 5s, 15m, 1h or PT5S)");
    }
  }

  boolean bool(String name, boolean defaultValue) {
    String v = string(name, null);
    if (v == null) {
      return defaultValue;
    }
    return switch (v.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(name, "'" + v + "' is not true or false");
    };
  }

  /** An optional directory that must exist and be readable now when set; null when unset. */
  Path readableDirectory(String name) {
    String v = string(name, null);
    if (v == null) {
      return null;
    }
    Path p = Path.of(v);
    if (!Files.isDirectory(p)) {
      throw new ConfigException(name, "no such directory: " + p);
    }
    if (!Files.isReadable(p)) {
      throw new ConfigException(name, "cannot read " + p + " (permissions)");
    }
    return p;
  }

  /** Files separated by commas, each readable now; none when the setting is unset or empty. */
  java.util.List<Path> readableFiles(String name) {
    String v = string(name, "");
    java.util.List<Path> out = new java.util.ArrayList<>();
    for (String part : v.split(",")) {
      if (!part.isBlank()) {
        out.add(readable(name, Path.of(part.strip())));
      }
    }
    return out;
  }

  /** A file that must exist and be readable now, not at the first request. */
  Path readableFile(String name, String what) {
    return readable(name, Path.of(required(name, what)));
  }

  private static Path readable(String name, Path p) {
    if (!Files.isRegularFile(p)) {
      throw new ConfigException(name, "no such file: " + p);
    }
    if (!Files.isReadable(p)) {
      throw new ConfigException(name, "cannot read " + p + " (permissions)");
    }
    return p;
  }
}
