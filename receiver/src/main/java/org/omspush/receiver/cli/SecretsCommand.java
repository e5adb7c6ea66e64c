package org.omspush.receiver.cli;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.omspush.receiver.config.ConfigException;
import org.omspush.receiver.config.SecretsConfig;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Pools;
import org.omspush.store.secrets.SealedSecrets;
import org.omspush.store.secrets.SealingKey;
import org.omspush.store.secrets.SecretKeys;

/**
 * {@code secrets keygen --out FILE}: a new key-encryption key (32 random bytes, base64, mode 0600).
 * {@code secrets rotate --new-key FILE}: re-seals every secret in the database under that key. It
 * reads the database and the keys from the same environment as {@code serve}
 * (OMS_DATABASE_URL, OMS_SECRETS_KEY_FILE, OMS_SECRETS_OLD_KEY_FILES), which must open every
 * secret not yet under the new key. Rows are re-sealed in short transactions, so running
 * receivers go on meanwhile; they must already know the new key (see README, "Secrets at rest").
 * Running it again finishes an interrupted rotation, or does nothing.
 */
public final class SecretsCommand {
  static final String USAGE = "usage: secrets keygen --out FILE | secrets rotate --new-key FILE";

  private SecretsCommand() {}

  /** @return 0 done, 1 not every secret is under the new key, 2 wrong arguments */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) throws Exception {
    if (args.length != 3) {
      err.println(USAGE);
      return 2;
    }
    if (args[0].equals("keygen") && args[1].equals("--out")) {
      return keygen(Path.of(args[2]), out, err);
    }
    if (args[0].equals("rotate") && args[1].equals("--new-key")) {
      return rotate(Path.of(args[2]), env, out, err);
    }
    err.println(USAGE);
    return 2;
  }

  private static int keygen(Path file, PrintStream out, PrintStream err) throws IOException {
    SealingKey key = SealingKey.generate();
    try {
      SecretsConfig.write(file, key);
    } catch (FileAlreadyExistsException e) {
      err.println(file + " exists; it is never overwritten");
      return 2;
    }
    out.println("wrote key " + key.id() + " to " + file.toAbsolutePath()
        + " (keep it in a Secret; without it the database's secrets cannot be opened)");
    return 0;
  }

  private static int rotate(Path newKeyFile, Map<String, String> env, PrintStream out, PrintStream err)
      throws Exception {
    SealingKey next = SecretsConfig.read("--new-key", newKeyFile);
    String url = env.get("OMS_DATABASE_URL");
    Path dataDir = Path.of(env.getOrDefault("OMS_DATA_DIR", "./oms-data"));
    EmbeddedDatabase embedded = null;
    DatabaseUrl db;
    if (url == null || url.isBlank()) {
      // the trial database: the receiver must be stopped (the cluster's directory is locked)
      embedded = EmbeddedDatabase.start(dataDir, 0);
      db = embedded.url();
    } else {
      try {
        db = DatabaseUrl.parse(url.strip());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("OMS_DATABASE_URL", e.getMessage());
      }
    }
    SecretKeys keys = SecretsConfig.from(env).keysFor(embedded != null, dataDir).sealingWith(next);
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    Pool pool = Pools.create(vertx, db, 2);
    try {
      SealedSecrets secrets = new SealedSecrets(pool);
      var unknown = await(secrets.census()).unknownTo(keys);
      if (!unknown.isEmpty()) {
        err.println("secrets are sealed under key " + String.join(", ", unknown) + ", which neither "
            + SecretsConfig.KEY_FILE + ", " + SecretsConfig.OLD_KEY_FILES + " nor --new-key is: nothing re-sealed");
        return 1;
      }
      int resealed = await(secrets.resealAll(keys));
      SealedSecrets.Census after = await(secrets.census());
      long behind = after.plaintext() + after.byKey().entrySet().stream()
          .filter(e -> !e.getKey().equals(next.id())).mapToLong(Map.Entry::getValue).sum();
      out.println("re-sealed " + resealed + " secrets under key " + next.id() + "; " + behind + " not under it");
      if (behind > 0) {
        err.println(behind + " secrets are still under another key (written by a receiver that does not seal with "
            + "the new key yet?): make " + SecretsConfig.KEY_FILE + " the new key on every receiver, then run this again");
        return 1;
      }
      out.println("done: set " + SecretsConfig.KEY_FILE + " to " + newKeyFile + " everywhere and remove the old key from "
          + SecretsConfig.OLD_KEY_FILES);
      return 0;
    } finally {
      await(pool.close());
      await(vertx.close());
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
