package org.omspush.receiver.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.omspush.store.secrets.SealingKey;
import org.omspush.store.secrets.SecretKeys;

/**
 * The keys that seal secrets at rest (subscriber secrets, subscribers' client keys, the
 * payload-link key).
 *
 * @param keyFile    OMS_SECRETS_KEY_FILE: the current key (32 random bytes, base64), which seals;
 *                   null = unset (allowed only with the embedded trial database)
 * @param configured the current key and OMS_SECRETS_OLD_KEY_FILES (comma-separated; open only,
 *                   during a rotation); null when OMS_SECRETS_KEY_FILE is unset
 */
public record SecretsConfig(Path keyFile, SecretKeys configured) {

  public static final String KEY_FILE = "OMS_SECRETS_KEY_FILE";
  public static final String OLD_KEY_FILES = "OMS_SECRETS_OLD_KEY_FILES";
  /** Where the embedded trial database keeps its generated key: beside its cluster. */
  public static final String GENERATED_KEY = "secrets.key";
  /** How to make a key, for every message that asks for one. */
  public static final String HOW_TO_MAKE_ONE =
      "make one with `java -jar oms-receiver.jar secrets keygen --out FILE` (or head -c 32 /dev/urandom | base64 > FILE)";

  public static SecretsConfig from(Map<String, String> env) {
    return from(new Settings(env));
  }

  static SecretsConfig from(Settings s) {
    String file = s.string(KEY_FILE, null);
    String olds = s.string(OLD_KEY_FILES, null);
    if (file == null) {
      if (olds != null) {
        throw new ConfigException(OLD_KEY_FILES, "needs " + KEY_FILE + " (the key that seals; these only open)");
      }
      return new SecretsConfig(null, null);
    }
    Path current = s.readableFile(KEY_FILE, "the key that seals secrets at rest");
    List<SealingKey> older = new ArrayList<>();
    if (olds != null) {
      for (String old : olds.split(",")) {
        if (!old.isBlank()) {
          older.add(read(OLD_KEY_FILES, Path.of(old.strip())));
        }
      }
    }
    return new SecretsConfig(current, new SecretKeys(read(KEY_FILE, current), older));
  }

  /**
   * The keys to use with this database. Unset: the embedded trial database keeps a generated key
   * in {@code dataDir} (made on first use); an external database stops start-up. Blocks (file I/O).
   */
  public SecretKeys keysFor(boolean embedded, Path dataDir) {
    if (configured != null) {
      return configured;
    }
    if (!embedded) {
      throw new ConfigException(KEY_FILE, "not set; the secrets in an external database are sealed with a key "
          + "kept outside it: " + HOW_TO_MAKE_ONE + ", keep it in a Secret and set " + KEY_FILE + " to its path");
    }
    Path generated = dataDir.resolve(GENERATED_KEY);
    try {
      if (!Files.exists(generated)) {
        write(generated, SealingKey.generate());
      }
    } catch (IOException e) {
      throw new ConfigException(KEY_FILE, "not set, and no key could be written to " + generated + ": " + e.getMessage());
    }
    return SecretKeys.of(read(KEY_FILE + " (generated " + generated + ")", generated));
  }

  /** Writes a new key file readable by its owner only; never overwrites. Blocks. */
  public static void write(Path file, SealingKey key) throws IOException {
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    Files.writeString(file, key.toBase64(), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its default permissions stay
    }
  }

  /** A key file, or a ConfigException naming {@code setting}. */
  public static SealingKey read(String setting, Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException(setting, "cannot read " + file + ": " + e.getMessage());
    }
    try {
      return SealingKey.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(setting, file + " " + e.getMessage());
    }
  }
}
