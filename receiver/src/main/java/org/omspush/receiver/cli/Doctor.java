package org.omspush.receiver.cli;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.KeyManagerFactory;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.output.ValidateResult;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.fanout.DestinationGuard;
import org.omspush.fanout.DestinationRefusedException;
import org.omspush.receiver.tls.TlsVersionProbe;
import org.omspush.receiver.config.ConfigException;
import org.omspush.receiver.config.IsoConfig;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.receiver.push.PushServerOptions;
import org.omspush.receiver.tls.Certificates;
import org.omspush.receiver.tls.RevocationLists;
import org.omspush.receiver.tls.TlsFiles;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.Migrations;
import org.omspush.store.Pools;
import org.omspush.store.ServerTls;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.fanout.SubscriberStore;
import org.omspush.store.secrets.SealedSecrets;
import org.omspush.store.secrets.SecretKeys;
import org.omspush.receiver.config.SecretsConfig;

/**
 * {@code doctor}: reads the same environment as {@code serve} and checks what would make it fail
 * or be refused, one line per check (OK, WARN, FAIL and why), then prints what to register with
 * the ISO. Read-only: it never migrates the database and never calls an ISO service (a TLS
 * handshake reaches no service path, so the AUP is not touched). Exit 0 without FAIL, else 1.
 */
public final class Doctor {
  enum Status { OK, WARN, FAIL }

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  // How long to wait after a TLS 1.3 handshake for the server's verdict on our certificate.
  private static final Duration CLIENT_CERT_VERDICT_WAIT = Duration.ofMillis(1500);

  private final Map<String, String> env;
  private final PrintStream out;
  private final Instant now = Instant.now();
  private int oks;
  private int warns;
  private int fails;
  private int warnDays = 30;

  Doctor(Map<String, String> env, PrintStream out) {
    this.env = env;
    this.out = out;
  }

  /** @return 0 when no check failed, 1 otherwise */
  public static int run(Map<String, String> env, PrintStream out) {
    return new Doctor(env, out).check();
  }

  int check() {
    ReceiverConfig config;
    try {
      config = ReceiverConfig.from(env);
      report(Status.OK, "configuration", "every OMS_* setting parses and every file it names is readable");
    } catch (ConfigException e) {
      report(Status.FAIL, "configuration", e.getMessage());
      return finish();
    }
    warnDays = config.certificates().warnDays();
    pushServerCertificate(config);
    clientCas(config);
    revocationLists(config);
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    try {
      tlsProtocols(vertx, config);
      iso(config);
      participants(config);
      DatabaseUrl db = database(config);
      SecretKeys keys = secretsKey(config, db);
      if (db != null && keys != null && sealedSecrets(vertx, keys, db)) {
        subscribers(vertx, config, db, keys);
      }
    } finally {
      await(vertx.close());
    }
    registration(config);
    return finish();
  }

  private int finish() {
    out.println();
    out.println("doctor: " + oks + " OK, " + warns + " WARN, " + fails + " FAIL");
    return fails == 0 ? 0 : 1;
  }

  private void report(Status status, String check, String reason) {
    switch (status) {
      case OK -> oks++;
      case WARN -> warns++;
      default -> fails++;
    }
    out.printf(Locale.ROOT, "%-4s %-30s %s%n", status, check, reason);
  }

  // ---- certificates ----

  private void pushServerCertificate(ReceiverConfig config) {
    TlsFiles tls = config.tls();
    X509Certificate leaf = tls.serverChain().get(0);
    keyMatches("push server key", tls.key().toString(), leaf, "OMS_TLS_KEY", "OMS_TLS_CERT");
    expiry("push server certificate", leaf);
    chain(config, tls.serverChain());
    URI url = config.certificates().pushPublicUrl();
    if (url == null) {
      report(Status.WARN, "push endpoint URL", "OMS_PUSH_PUBLIC_URL is not set, so the name in the certificate "
          + "cannot be checked against the URL registered with the ISO");
    } else if (names(leaf).stream().anyMatch(n -> hostMatches(n, url.getHost()))) {
      report(Status.OK, "push endpoint URL", url + ": the certificate names " + url.getHost());
    } else {
      report(Status.FAIL, "push endpoint URL", "the certificate does not name " + url.getHost()
          + " (its names: " + names(leaf) + "); the ISO's TLS client would refuse it");
    }
  }

  private void keyMatches(String check, String keyFile, X509Certificate cert, String keySetting, String certSetting) {
    PrivateKey key;
    try {
      key = Certificates.parsePrivateKey(Files.readAllBytes(java.nio.file.Path.of(keyFile)));
    } catch (IOException | RuntimeException e) {
      report(Status.FAIL, check, keySetting + " " + keyFile + ": " + e.getMessage());
      return;
    }
    if (Certificates.keyMatches(key, cert.getPublicKey())) {
      report(Status.OK, check, keySetting + " belongs to " + certSetting + " ("
          + Certificates.keyDescription(cert.getPublicKey()) + ")");
    } else {
      report(Status.FAIL, check, keySetting + " does not belong to the certificate in " + certSetting + " ("
          + cert.getSubjectX500Principal().getName() + "): every TLS handshake would fail");
    }
  }

  private void expiry(String check, X509Certificate c) {
    String subject = c.getSubjectX500Principal().getName();
    double days = Certificates.daysLeft(c, now);
    if (Certificates.expired(c, now)) {
      report(Status.FAIL, check, subject + " expired on " + c.getNotAfter().toInstant());
    } else if (Certificates.notYetValid(c, now)) {
      report(Status.FAIL, check, subject + " is not valid before " + c.getNotBefore().toInstant());
    } else if (days < warnDays) {
      report(Status.WARN, check, subject + " expires on " + c.getNotAfter().toInstant() + ", in "
          + (long) Math.floor(days) + " days (OMS_CERT_EXPIRY_WARN_DAYS=" + warnDays + "): renew it");
    } else {
      report(Status.OK, check, subject + " valid until " + c.getNotAfter().toInstant() + " ("
          + (long) Math.floor(days) + " days)");
    }
  }

  private void chain(ReceiverConfig config, List<X509Certificate> chain) {
    for (int i = 0; i + 1 < chain.size(); i++) {
      try {
        chain.get(i).verify(chain.get(i + 1).getPublicKey());
      } catch (Exception e) {
        report(Status.FAIL, "push server chain", "OMS_TLS_CERT: certificate " + (i + 1) + " ("
            + chain.get(i).getSubjectX500Principal().getName() + ") is not signed by the one after it ("
            + chain.get(i + 1).getSubjectX500Principal().getName() + "): order the file leaf first, then its issuers");
        return;
      }
    }
    // The anchor itself does not belong in the path; a self-signed root in the file is dropped.
    List<X509Certificate> path = chain.stream()
        .filter(c -> !c.getSubjectX500Principal().equals(c.getIssuerX500Principal())).toList();
    if (path.isEmpty()) {
      report(Status.FAIL, "push server chain", "OMS_TLS_CERT is self-signed; the ISO will not trust it");
      return;
    }
    X509Certificate last = path.get(path.size() - 1);
    if (config.certificates().serverCa() != null) {
      List<X509Certificate> anchors = TlsFiles.certificates("OMS_TLS_SERVER_CA", config.certificates().serverCa());
      String problem = validate(path, anchors);
      if (problem == null) {
        report(Status.OK, "push server chain", "chains to OMS_TLS_SERVER_CA (" + anchorOf(last, anchors) + ")");
      } else {
        report(Status.FAIL, "push server chain", "does not chain to OMS_TLS_SERVER_CA: " + problem);
      }
      return;
    }
    String problem = validate(path, jvmTrustedCas());
    if (problem == null) {
      report(Status.OK, "push server chain", "chains to a CA this JVM trusts (issuer "
          + last.getIssuerX500Principal().getName() + ")");
    } else {
      report(Status.WARN, "push server chain", "ends at " + last.getIssuerX500Principal().getName()
          + ", which this JVM does not trust; set OMS_TLS_SERVER_CA to the CA the ISO trusts to check it");
    }
  }

  private static String anchorOf(X509Certificate last, List<X509Certificate> anchors) {
    return anchors.stream().filter(a -> a.getSubjectX500Principal().equals(last.getIssuerX500Principal()))
        .map(a -> a.getSubjectX500Principal().getName()).findFirst().orElse(last.getIssuerX500Principal().getName());
  }

  /** PKIX validation without revocation checks; null when valid, else why not. */
  private String validate(List<X509Certificate> path, List<X509Certificate> anchors) {
    try {
      Set<TrustAnchor> ta = new HashSet<>();
      anchors.forEach(a -> ta.add(new TrustAnchor(a, null)));
      if (ta.isEmpty()) {
        return "no trusted CA";
      }
      PKIXParameters p = new PKIXParameters(ta);
      p.setRevocationEnabled(false);
      p.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), p);
      return null;
    } catch (Exception e) {
      return e.getMessage();
    }
  }

  private static List<X509Certificate> jvmTrustedCas() {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      List<X509Certificate> out = new ArrayList<>();
      for (var tm : tmf.getTrustManagers()) {
        if (tm instanceof javax.net.ssl.X509TrustManager x) {
          out.addAll(List.of(x.getAcceptedIssuers()));
        }
      }
      return out;
    } catch (Exception e) {
      return List.of();
    }
  }

  private static List<String> names(X509Certificate c) {
    List<String> out = new ArrayList<>();
    try {
      if (c.getSubjectAlternativeNames() != null) {
        for (List<?> n : c.getSubjectAlternativeNames()) {
          Integer type = (Integer) n.get(0);
          if (type == 2 || type == 7) {
            out.add(n.get(1).toString());
          }
        }
      }
    } catch (java.security.cert.CertificateParsingException e) {
      // no usable names
    }
    return out;
  }

  private static boolean hostMatches(String name, String host) {
    String n = name.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    if (n.startsWith("*.")) {
      int dot = h.indexOf('.');
      return dot > 0 && h.substring(dot).equals(n.substring(1));
    }
    return n.equals(h);
  }

  private void clientCas(ReceiverConfig config) {
    List<X509Certificate> cas = config.tls().clientCas();
    X509Certificate first = cas.stream().min((a, b) -> a.getNotAfter().compareTo(b.getNotAfter())).orElseThrow();
    if (cas.size() == 1) {
      expiry("push client CA", first);
    } else {
      expiry("push client CAs (" + cas.size() + ")", first);
    }
  }

  /** Each CRL of OMS_TLS_CRL (already parsed and signature-checked with the configuration): its next update. */
  private void revocationLists(ReceiverConfig config) {
    List<java.security.cert.X509CRL> crls = config.tls().revocations().crls();
    if (crls.isEmpty()) {
      report(Status.OK, "push client CRL", "OMS_TLS_CRL is not set: client certificates are not checked for"
          + " revocation");
      return;
    }
    for (java.security.cert.X509CRL crl : crls) {
      int revoked = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
      String what = crl.getIssuerX500Principal().getName() + " (CRL number " + RevocationLists.number(crl) + ", " + revoked
          + " revoked)";
      Double days = RevocationLists.daysToNextUpdate(crl, now);
      if (days == null) {
        report(Status.WARN, "push client CRL", what + " names no next update: make sure it is refreshed");
      } else if (days < 0) {
        report(Status.WARN, "push client CRL", what + " is past its next update " + crl.getNextUpdate().toInstant()
            + ": it is still checked, but mount the CA's newer list");
      } else {
        report(Status.OK, "push client CRL", what + ", next update " + crl.getNextUpdate().toInstant() + " (in "
            + String.format(Locale.ROOT, "%.1f", days) + " days)");
      }
    }
  }

  // ---- TLS protocols of the push port ----

  private void tlsProtocols(Vertx vertx, ReceiverConfig config) {
    HttpServerOptions options = PushServerOptions.of("127.0.0.1", 0, config.tls());
    Set<String> enabled = options.getEnabledSecureTransportProtocols();
    if (!Set.of("TLSv1.2", "TLSv1.3").containsAll(enabled)) {
      report(Status.FAIL, "push TLS protocols", "the push port enables " + enabled + "; only TLSv1.2 and TLSv1.3 may be");
      return;
    }
    HttpServer server;
    try {
      server = await(vertx.createHttpServer(options).requestHandler(r -> r.response().setStatusCode(404).end())
          .listen());
    } catch (RuntimeException e) {
      report(Status.FAIL, "push TLS protocols", "a server with the push port's settings does not start: "
          + e.getMessage());
      return;
    }
    try {
      int port = server.actualPort();
      List<String> problems = new ArrayList<>();
      for (TlsVersionProbe.Version old : List.of(TlsVersionProbe.Version.TLS_1_0, TlsVersionProbe.Version.TLS_1_1)) {
        TlsVersionProbe.Outcome o = TlsVersionProbe.offer("127.0.0.1", port, old, TIMEOUT);
        if (o.accepted()) {
          problems.add(old.jdkName() + " is accepted (" + o.detail() + ")");
        }
      }
      TlsVersionProbe.Outcome tls12 = TlsVersionProbe.offer("127.0.0.1", port, TlsVersionProbe.Version.TLS_1_2,
          TIMEOUT);
      if (!tls12.accepted()) {
        problems.add("TLSv1.2 is refused (" + tls12.detail() + ")");
      }
      if (problems.isEmpty()) {
        report(Status.OK, "push TLS protocols", "TLSv1 and TLSv1.1 refused, TLSv1.2 accepted by a server with the "
            + "push port's settings on 127.0.0.1:" + port + " (enabled: " + new java.util.TreeSet<>(enabled) + ")");
      } else {
        report(Status.FAIL, "push TLS protocols", String.join("; ", problems));
      }
    } catch (IOException e) {
      report(Status.FAIL, "push TLS protocols", "cannot probe the test server: " + e.getMessage());
    } finally {
      await(server.close());
    }
  }

  // ---- the ISO ----

  private void iso(ReceiverConfig config) {
    IsoConfig iso = config.iso();
    if (iso == null) {
      report(Status.WARN, "ISO", "OMS_ISO_BASE_URL is not set: claim checks are stored but not redeemed");
      return;
    }
    List<X509Certificate> isoCas = TlsFiles.certificates("OMS_ISO_CA", iso.isoCa());
    for (int i = 0; i < iso.identities().size(); i++) {
      IsoIdentity id = iso.identities().get(i);
      String suffix = i == 0 ? "" : "_" + (i + 1);
      String name = "ISO client" + (i == 0 ? "" : " " + (i + 1));
      keyMatches(name + " key", id.keyFile().toString(), id.certificate(), "OMS_ISO_KEY" + suffix,
          "OMS_ISO_CERT" + suffix);
      if (!"RSA".equals(id.certificate().getPublicKey().getAlgorithm())) {
        report(Status.FAIL, name + " key type", "OMS_ISO_CERT" + suffix + " has a "
            + Certificates.keyDescription(id.certificate().getPublicKey())
            + " key; the ISO's WS-Security signatures are RSA-SHA256");
      }
      expiry(name + " certificate", id.certificate());
      reachable(name + " → ISO", iso.baseUrl(), id, isoCas);
    }
    X509Certificate firstCa = isoCas.stream().min((a, b) -> a.getNotAfter().compareTo(b.getNotAfter())).orElseThrow();
    expiry("ISO CA", firstCa);
  }

  /** Every participant with the certificate it would use now, and every directory that is refused. */
  private void participants(ReceiverConfig config) {
    var participants = new org.omspush.receiver.participants.Participants(config.participantsDir(),
        config.iso() == null ? null : config.iso().identities().get(0),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), java.time.Clock.systemUTC());
    participants.refresh();
    for (var p : participants.list()) {
      if (p.identity() == null) {
        report(Status.WARN, "participant " + p.key(), "no certificate (OMS_ISO_CERT unset): its claims wait");
      } else {
        expiry("participant " + p.key(), p.identity().certificate());
      }
    }
    participants.refusals().forEach((name, why) -> report(Status.FAIL, "participant " + name,
        "refused: " + why + " (" + config.participantsDir().resolve(name) + ")"));
  }

  /** A mutual-TLS handshake with the identity's certificate; no HTTP request, so no AUP call. */
  private void reachable(String check, URI base, IsoIdentity id, List<X509Certificate> isoCas) {
    String host = base.getHost();
    int port = base.getPort() == -1 ? 443 : base.getPort();
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", id.privateKey(), new char[0], id.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      for (int i = 0; i < isoCas.size(); i++) {
        ts.setCertificateEntry("ca" + i, isoCas.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
      Socket raw = new Socket();
      raw.connect(new InetSocketAddress(host, port), (int) TIMEOUT.toMillis());
      try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true)) {
        s.setSoTimeout((int) TIMEOUT.toMillis());
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!host.matches("[0-9.]+|.*:.*")) {
          p.setServerNames(List.of(new SNIHostName(host)));
        }
        s.setSSLParameters(p);
        s.startHandshake();
        // With TLS 1.3 the server judges our certificate after the handshake completes here; a
        // refusal arrives as an alert on the first read, silence means it was accepted.
        s.setSoTimeout((int) CLIENT_CERT_VERDICT_WAIT.toMillis());
        String verdict;
        try {
          verdict = s.getInputStream().read() == -1 ? "closed the connection after the handshake" : null;
        } catch (SocketTimeoutException e) {
          verdict = null;
        }
        X509Certificate server = (X509Certificate) s.getSession().getPeerCertificates()[0];
        if (verdict != null) {
          report(Status.WARN, check, host + ":" + port + " " + verdict);
        } else {
          report(Status.OK, check, host + ":" + port + " over " + s.getSession().getProtocol() + " with mutual TLS "
              + "(server " + server.getSubjectX500Principal().getName() + ", verified against OMS_ISO_CA)");
        }
      }
    } catch (SSLException e) {
      report(Status.FAIL, check, host + ":" + port + ": TLS refused: " + e.getMessage());
    } catch (IOException e) {
      report(Status.FAIL, check, host + ":" + port + " unreachable: " + e);
    } catch (Exception e) {
      report(Status.FAIL, check, host + ":" + port + ": " + e);
    }
  }

  // ---- the database ----

  private DatabaseUrl database(ReceiverConfig config) {
    DatabaseUrl url = config.databaseUrl();
    if (url == null) {
      report(Status.WARN, "database", "OMS_DATABASE_URL is not set: serve would start an embedded Postgres in "
          + config.dataDir() + " (for trials only); database and subscriber checks skipped");
      return null;
    }
    String where = url.host() + ":" + url.port() + "/" + url.database();
    Properties props = new Properties();
    props.setProperty("user", url.user());
    if (url.password() != null) {
      props.setProperty("password", url.password());
    }
    props.setProperty("connectTimeout", String.valueOf(TIMEOUT.toSeconds()));
    props.setProperty("socketTimeout", String.valueOf(TIMEOUT.toSeconds() * 3));
    props.setProperty("loginTimeout", String.valueOf(TIMEOUT.toSeconds()));
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), props)) {
      report(Status.OK, "database", "reachable at " + where + " (PostgreSQL "
          + c.getMetaData().getDatabaseProductVersion() + ")");
    } catch (SQLException e) {
      report(Status.FAIL, "database", where + " unreachable: " + e.getMessage());
      return null;
    }
    if (!migrations(url)) {
      report(Status.WARN, "subscribers", "not checked: the schema is not current");
      return null;
    }
    return url;
  }

  /** @return whether the schema is what this version expects (or newer) */
  private boolean migrations(DatabaseUrl url) {
    try {
      Flyway flyway = Flyway.configure(Migrations.class.getClassLoader())
          .dataSource(url.jdbcUrl(), url.user(), url.password())
          .locations(Migrations.LOCATION)
          .failOnMissingLocations(true)
          .cleanDisabled(true)
          .ignoreMigrationPatterns("*:pending")
          .load();
      MigrationInfoService info = flyway.info();
      MigrationInfo current = info.current();
      List<MigrationInfo> failed = new ArrayList<>();
      List<MigrationInfo> future = new ArrayList<>();
      for (MigrationInfo m : info.all()) {
        if (m.getState().isFailed()) {
          failed.add(m);
        } else if (m.getState() == MigrationState.FUTURE_SUCCESS) {
          future.add(m);
        }
      }
      ValidateResult validated = flyway.validateWithResult();
      String at = current == null ? "no schema yet" : "schema at version " + current.getVersion();
      if (!failed.isEmpty()) {
        report(Status.FAIL, "migrations", at + "; failed: " + failed.stream().map(m -> "V" + m.getVersion()).toList()
            + ": repair the database before starting");
        return false;
      } else if (!validated.validationSuccessful) {
        report(Status.FAIL, "migrations", at + "; applied migrations differ from this version's: "
            + validated.getAllErrorMessages());
        return false;
      } else if (info.pending().length > 0) {
        report(Status.WARN, "migrations", at + "; " + info.pending().length
            + " pending (serve applies them at start-up; doctor does not)");
        return false;
      } else if (!future.isEmpty()) {
        report(Status.WARN, "migrations", at + ", newer than this version knows ("
            + future.stream().map(m -> "V" + m.getVersion()).toList() + "): is an older jar running?");
      } else {
        report(Status.OK, "migrations", at + ", current");
      }
      return true;
    } catch (RuntimeException e) {
      report(Status.FAIL, "migrations", "cannot read Flyway's history: " + e.getMessage());
      return false;
    }
  }

  // ---- secrets at rest ----

  /** The key that seals secrets: set, or generated beside the embedded database; never written here. */
  private SecretKeys secretsKey(ReceiverConfig config, DatabaseUrl db) {
    SecretsConfig secrets = config.secrets();
    if (secrets.configured() != null) {
      report(Status.OK, "secrets key", SecretsConfig.KEY_FILE + " " + secrets.keyFile() + " is key "
          + secrets.configured().currentId() + "; keys that open: " + secrets.configured().ids());
      return secrets.configured();
    }
    if (config.databaseUrl() == null) {
      report(Status.OK, "secrets key", SecretsConfig.KEY_FILE + " is not set: the embedded database's key is "
          + config.dataDir().resolve(SecretsConfig.GENERATED_KEY) + " (made on first start)");
      return null;
    }
    try {
      return secrets.keysFor(false, config.dataDir());
    } catch (ConfigException e) {
      report(Status.FAIL, "secrets key", e.getMessage());
      return null;
    }
  }

  /** @return whether every sealed secret is under a configured key (so the subscribers can be read) */
  private boolean sealedSecrets(Vertx vertx, SecretKeys keys, DatabaseUrl url) {
    Pool pool = Pools.create(vertx, url, 1);
    SealedSecrets.Census census;
    try {
      census = await(new SealedSecrets(pool).census());
    } catch (RuntimeException e) {
      report(Status.FAIL, "secrets at rest", "cannot count them: " + e.getMessage());
      return false;
    } finally {
      pool.close();
    }
    List<String> unknown = census.unknownTo(keys);
    if (!unknown.isEmpty()) {
      report(Status.FAIL, "secrets at rest", "secrets sealed under key " + String.join(", ", unknown)
          + ", which no configured key is: serve would stop; set the key they were sealed with");
      return false;
    }
    List<String> behind = census.byKey().keySet().stream().filter(id -> !id.equals(keys.currentId())).toList();
    if (census.plaintext() > 0) {
      report(Status.WARN, "secrets at rest", census.plaintext() + " still in plaintext: serve seals them at start-up");
    } else if (!behind.isEmpty()) {
      report(Status.WARN, "secrets at rest", "a rotation is not finished: secrets under " + behind
          + "; run `java -jar oms-receiver.jar secrets rotate --new-key <current key file>`");
    } else {
      report(Status.OK, "secrets at rest", census.byKey().values().stream().mapToLong(Long::longValue).sum()
          + " secrets, all sealed under key " + keys.currentId());
    }
    return true;
  }

  private void subscribers(Vertx vertx, ReceiverConfig config, DatabaseUrl url, SecretKeys keys) {
    Pool pool;
    try {
      pool = Pools.create(vertx, ServerTls.settle(url, TIMEOUT), 1);
    } catch (IOException e) {
      report(Status.FAIL, "subscribers", "cannot reach the database: " + e.getMessage());
      return;
    }
    List<Subscriber> all;
    try {
      all = await(new SubscriberStore(pool, keys).list());
    } catch (RuntimeException e) {
      report(Status.FAIL, "subscribers", "cannot list them: " + e.getMessage());
      return;
    } finally {
      pool.close();
    }
    DestinationGuard guard = config.fanout().fanout().guard();
    List<Subscriber> enabled = all.stream().filter(Subscriber::enabled).toList();
    if (enabled.isEmpty()) {
      report(Status.OK, "subscribers", "none enabled (" + all.size() + " registered)");
      return;
    }
    for (Subscriber s : enabled) {
      String shown = shown(s.url());
      try {
        URI uri = guard.parse(s.url());
        var address = guard.resolve(uri);
        report(Status.OK, "subscriber " + s.id().toString().substring(0, 8), shown + " resolves to "
            + address.getHostAddress() + ", allowed");
      } catch (DestinationRefusedException e) {
        report(Status.FAIL, "subscriber " + s.id().toString().substring(0, 8), shown + ": " + e.getMessage());
      }
    }
  }

  /** The URL without its query, which may hold a token. */
  private static String shown(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q) + "?…";
  }

  // ---- what to register ----

  private void registration(ReceiverConfig config) {
    X509Certificate c = config.tls().serverChain().get(0);
    URI url = config.certificates().pushPublicUrl();
    out.println();
    out.println("Register with the ISO (the push endpoint):");
    out.println("  endpoint URL:        " + (url != null ? url.toString()
        : "(OMS_PUSH_PUBLIC_URL not set) the https URL at which the ISO reaches this receiver's push port ("
            + config.pushPort() + ") and path " + config.pushPath() + ", e.g. https://oms.example.com"
            + config.pushPath()));
    out.println("  server certificate:  " + c.getSubjectX500Principal().getName());
    out.println("  issuer:              " + c.getIssuerX500Principal().getName());
    out.println("  serial:              " + c.getSerialNumber().toString(16).toUpperCase(Locale.ROOT));
    out.println("  SHA-256 fingerprint: " + Certificates.fingerprint(c));
    out.println("  valid:               " + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant());
    IsoConfig iso = config.iso();
    if (iso != null) {
      for (IsoIdentity id : iso.identities()) {
        out.println("  ISO client identity: " + id.subjectDn() + " (SHA-256 " + Certificates.fingerprint(id.certificate())
            + ")");
      }
    }
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(TIMEOUT.toSeconds() * 3, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e.toString(), e);
    }
  }
}
