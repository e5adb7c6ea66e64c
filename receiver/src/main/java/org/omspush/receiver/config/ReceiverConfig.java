package org.omspush.receiver.config;

import java.nio.file.Path;
import java.util.Map;
import org.omspush.claimcheck.push.PushIdentities;
import org.omspush.receiver.admin.AdminTls;
import org.omspush.receiver.push.PushLimits;
import org.omspush.receiver.tls.TlsFiles;
import org.omspush.store.DatabaseUrl;

/**
 * Every setting of the receiver, read once at start-up from the environment. Names are fixed:
 * the README, the Kubernetes manifests and the tests use the same ones.
 *
 * @param databaseUrl  null = embedded Postgres in {@code dataDir}
 * @param iso          null = no redemption (OMS_ISO_BASE_URL unset)
 * @param fanout       the admin API and the fan-out to subscribers
 * @param certificates TLS reload, expiry warnings, and what {@code doctor} checks against
 * @param retention    how long finished rows are kept, and how often they are deleted
 * @param pushLimits   the push port's queue and request deadlines and its connection cap
 * @param adminTls     null = the admin port speaks plain HTTP
 * @param payload      the payload listener (signed payload links)
 * @param secrets      the keys that seal secrets at rest
 * @param largeTransfersMax documents streamed at once per replica, fetches and payload downloads together
 * @param participantsDir OMS_PARTICIPANTS_DIR: one directory per participant besides {@code default}
 *                     ({@code tls.crt}, {@code tls.key}), read again while running; null = none
 */
public record ReceiverConfig(
    DatabaseUrl databaseUrl,
    Path dataDir,
    String pushHost,
    int pushPort,
    String pushPath,
    TlsFiles tls,
    PushIdentities pushIdentities,
    boolean requireSignature,
    long maxBodyBytes,
    long inflightBodyBytes,
    String opsHost,
    int opsPort,
    int dbPoolSize,
    int verifyThreads,
    IsoConfig iso,
    FanoutConfig fanout,
    CertificateSettings certificates,
    RetentionConfig retention,
    PushLimits pushLimits,
    AdminTls adminTls,
    PayloadConfig payload,
    SecretsConfig secrets,
    int largeTransfersMax,
    Path participantsDir,
    ConsoleConfig console) {

  public static final long MIB = 1024 * 1024;

  /** The same settings on another database (tests and the demo hand over a server they started). */
  public ReceiverConfig withDatabaseUrl(DatabaseUrl url) {
    return new ReceiverConfig(url, dataDir, pushHost, pushPort, pushPath, tls, pushIdentities, requireSignature,
        maxBodyBytes, inflightBodyBytes, opsHost, opsPort, dbPoolSize, verifyThreads, iso, fanout, certificates,
        retention, pushLimits, adminTls, payload, secrets, largeTransfersMax,
        participantsDir, console);
  }

  public static ReceiverConfig fromEnvironment() {
    return from(System.getenv());
  }

  public static ReceiverConfig from(Map<String, String> env) {
    Settings s = new Settings(env);
    LogFormat.check(s);
    DatabaseUrl db = null;
    String url = s.string("OMS_DATABASE_URL", null);
    if (url != null) {
      try {
        db = DatabaseUrl.parse(url);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("OMS_DATABASE_URL", e.getMessage());
      }
    }
    if (db == null && !org.omspush.receiver.TrialParts.embeddedPostgres()) {
      throw new ConfigException("OMS_DATABASE_URL", "not set, and the embedded trial database is "
          + org.omspush.receiver.TrialParts.FULL_JAR + ": set postgresql://user:password@host:5432/database");
    }
    String path = s.string("OMS_PUSH_PATH", "/iso/v1/push");
    if (!path.startsWith("/")) {
      throw new ConfigException("OMS_PUSH_PATH", "must start with /, not '" + path + "'");
    }
    TlsFiles tls = TlsFiles.load(
        s.readableFile("OMS_TLS_CERT", "the receiver's server certificate chain (PEM)"),
        s.readableFile("OMS_TLS_KEY", "the receiver's server private key (PEM, PKCS#8 or PKCS#1)"),
        s.readableFile("OMS_TLS_CLIENT_CA", "the CA certificates (PEM) whose client certificates may push"),
        s.readableFiles("OMS_TLS_CRL"));
    PushIdentities identities;
    try {
      identities = PushIdentities.parse(s.required("OMS_PUSH_ALLOWED_SUBJECTS",
          "the ISO's push certificates: subject DNs (RFC 2253, separated by ;), each optionally"
              + " |issuer=DN, or sha256:PIN of the public key"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("OMS_PUSH_ALLOWED_SUBJECTS", e.getMessage());
    }
    long maxBody = s.positive("OMS_MAX_BODY_BYTES", 8 * MIB);
    // Bodies waiting or being verified share this budget, so a burst of large pushes queues
    // instead of exhausting the heap.
    long defaultInflight = Runtime.getRuntime().maxMemory() / 3;
    int cores = Runtime.getRuntime().availableProcessors();
    return new ReceiverConfig(
        db,
        Path.of(s.string("OMS_DATA_DIR", "./oms-data")),
        s.string("OMS_PUSH_HOST", "0.0.0.0"),
        s.port("OMS_PUSH_PORT", 8443),
        path,
        tls,
        identities,
        s.bool("OMS_PUSH_REQUIRE_SIGNATURE", true),
        maxBody,
        s.positive("OMS_INFLIGHT_BODY_BYTES", defaultInflight),
        s.string("OMS_OPS_HOST", "0.0.0.0"),
        s.port("OMS_OPS_PORT", 9090),
        (int) s.positive("OMS_DB_POOL_SIZE", 16),
        (int) s.positive("OMS_VERIFY_THREADS", Math.max(2, cores)),
        IsoConfig.from(s),
        FanoutConfig.from(s),
        CertificateSettings.from(s),
        RetentionConfig.from(s),
        PushLimitsSettings.from(s),
        AdminTlsSettings.from(s),
        PayloadConfig.from(s, FanoutConfig.baseUrl(s)),
        SecretsConfig.from(s),
        (int) s.positive("OMS_LARGE_TRANSFERS_MAX", org.omspush.store.PayloadTransfers.DEFAULT_MAX),
        s.readableDirectory("OMS_PARTICIPANTS_DIR"),
        ConsoleConfig.from(s, s.string("OMS_ADMIN_TOKEN", null)));
  }
}
