package org.omspush.receiver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.config.SecretsConfig;
import org.omspush.store.secrets.SealingKey;

/** The environment a receiver gets on this machine with the throwaway test PKI: the demo's and the tests'. */
public final class DevEnvironment {
  private DevEnvironment() {}

  /** Loopback only, ports chosen by the system; add OMS_DATABASE_URL or OMS_DATA_DIR. */
  public static Map<String, String> of(DevPki pki) {
    Map<String, String> env = new HashMap<>();
    env.put("OMS_PUSH_HOST", "127.0.0.1");
    env.put("OMS_PUSH_PORT", "0");
    env.put("OMS_OPS_HOST", "127.0.0.1");
    env.put("OMS_OPS_PORT", "0");
    env.put("OMS_TLS_CERT", pki.receiverServer().certificateFile().toString());
    env.put("OMS_TLS_KEY", pki.receiverServer().keyFile().toString());
    env.put("OMS_TLS_CLIENT_CA", pki.isoCaBundle().toString());
    env.put("OMS_PUSH_ALLOWED_SUBJECTS", pki.isoPushClient().subject().getName());
    // the admin API on loopback with a fresh token, and subscribers on this machine allowed (plain http too)
    env.put("OMS_ADMIN_HOST", "127.0.0.1");
    env.put("OMS_ADMIN_PORT", "0");
    // payload links over HTTPS with the receiver's server certificate (SAN localhost)
    env.put("OMS_PAYLOAD_HOST", "127.0.0.1");
    env.put("OMS_PAYLOAD_PORT", "0");
    env.put("OMS_ADMIN_TOKEN", java.util.UUID.randomUUID().toString().replace("-", ""));
    env.put("OMS_SUBSCRIBER_ALLOW", "127.0.0.1/32");
    env.put("OMS_SUBSCRIBER_ALLOW_HTTP", "true");
    env.put("OMS_SECRETS_KEY_FILE", secretsKey(pki).toString());
    return env;
  }

  /** The key that seals secrets at rest, beside the test PKI (made on first use). */
  public static Path secretsKey(DevPki pki) {
    Path file = pki.dir().resolve(SecretsConfig.GENERATED_KEY);
    try {
      SecretsConfig.write(file, SealingKey.generate());
    } catch (FileAlreadyExistsException e) {
      // made by an earlier call: every receiver on this PKI shares it
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }
}
