package org.omspush.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.security.auth.x500.X500Principal;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.IsoStats;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.receiver.DevEnvironment;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;

/**
 * The participants benchmark (bench/participants.sh): N participants (500), each with its own
 * certificate in OMS_PARTICIPANTS_DIR, C outage changes each (4) pushed at once into R replicas
 * (3, separate JVMs on one embedded Postgres), against the stand-in ISO in this JVM with the real
 * AUP (5 s per certificate and service) and every participant registered, so a call with another
 * participant's certificate is refused. Reports the time until every claim is REDEEMED beside the
 * floor (C - 1 gate intervals after the first call), the spread between the first and the last
 * participant to finish, refusals and AUP violations; then the replicas' and Postgres' CPU and the
 * database's transactions per second while the participants sit idle. It measures; it never fails
 * on a number. Catch-up is off (OMS_ISO_SERVICES names the two claim services): the run measures
 * the scheduler.
 */
public final class ParticipantsBench {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm");
  private static final RetrieveService SERVICE = RetrieveService.OUTAGE_BY_CLAIM_CHECK;

  private final int participants = intEnv("BENCH_PARTICIPANTS", 500);
  private final int changes = intEnv("BENCH_CHANGES", 4);
  private final int replicaCount = intEnv("BENCH_REPLICAS", 3);
  private final int idleSeconds = intEnv("BENCH_IDLE_SECONDS", 60);
  private final long aupMillis = intEnv("BENCH_AUP_MS", 5000);
  private final Path receiverJar = Path.of(System.getenv().getOrDefault("BENCH_RECEIVER_JAR",
      "receiver/target/oms-receiver.jar"));
  private final List<ReceiverProcess> replicas = new ArrayList<>();
  private DatabaseUrl url;

  public static void main(String[] args) {
    int status;
    try {
      status = new ParticipantsBench().run(Path.of(args.length > 0 ? args[0] : "."));
    } catch (Exception | Error e) {
      System.err.println("bench failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private static int intEnv(String name, int def) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? def : Integer.parseInt(v.strip());
  }

  private static void say(String line) {
    System.err.println("[participants " + LocalDateTime.now().toLocalTime().withNano(0) + "] " + line);
  }

  private static String key(int i) {
    return String.format(Locale.ROOT, "P%04d", i);
  }

  private int run(Path root) throws Exception {
    Path work = Files.createTempDirectory("oms-participants-bench-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> replicas.forEach(ReceiverProcess::close),
        "participants-bench-cleanup"));
    say("work directory " + work);
    DevPki pki = DevPki.generate(work.resolve("pki"));
    Path dir = Files.createDirectories(work.resolve("participants"));
    Map<String, java.security.cert.X509Certificate> registered = new LinkedHashMap<>();
    long t = System.nanoTime();
    ExecutorService keys = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    List<java.util.concurrent.Future<DevPki.Credential>> issued = new ArrayList<>();
    for (int i = 1; i <= participants; i++) {
      String k = key(i);
      issued.add(keys.submit(() -> pki.issueParticipant(new X500Principal("CN=" + k + "_OMS,O=Bench"),
          k.toLowerCase(Locale.ROOT) + ".pem")));
    }
    for (int i = 1; i <= participants; i++) {
      DevPki.Credential c = issued.get(i - 1).get();
      Path sub = Files.createDirectories(dir.resolve(key(i)));
      Files.copy(c.certificateFile(), sub.resolve("tls.crt"));
      Files.copy(c.keyFile(), sub.resolve("tls.key"));
      registered.put(key(i), c.certificate());
    }
    keys.shutdown();
    say(f("%d participant certificates issued in %.1f s", participants, (System.nanoTime() - t) / 1e9));
    registered.put("default", pki.participantClient().certificate());

    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    StringBuilder report = new StringBuilder();
    try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("db"), 0)) {
      url = db.url();
      Migrations.migrate(url);
      LongSupplier pgCpu = Cpu.postgres(db.dataDirectory());
      IsoSim iso = IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ofMillis(aupMillis))
          .participants(registered)).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Map<String, String> env = new LinkedHashMap<>(DevEnvironment.of(pki));
      env.put("OMS_DATABASE_URL", "postgresql://" + url.user() + "@" + url.host() + ":" + url.port() + "/"
          + url.database());
      env.put("OMS_ISO_BASE_URL", iso.baseUrl());
      env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
      env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
      env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
      env.put("OMS_ISO_SERVICES", SERVICE.serviceName() + ","
          + RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK.serviceName());
      env.put("OMS_PARTICIPANTS_DIR", dir.toString());
      env.put("OMS_AUP_INTERVAL", aupMillis + "ms");
      ExecutorService starters = Executors.newFixedThreadPool(replicaCount);
      List<java.util.concurrent.Future<ReceiverProcess>> started = new ArrayList<>();
      for (int i = 1; i <= replicaCount; i++) {
        Path log = work.resolve("replica-" + i + ".log");
        started.add(starters.submit(() -> ReceiverProcess.start(receiverJar, List.of("-Xmx512m"), env, log)));
      }
      for (var s : started) {
        replicas.add(s.get());
      }
      starters.shutdown();
      say(replicaCount + " replicas ready");

      // Signed up front: signing is not measured.
      PushSigner signer = PushSigner.of(pki.isoPushClient());
      List<String> urls = new ArrayList<>();
      List<byte[]> envelopes = new ArrayList<>();
      for (int c = 0; c < changes; c++) {
        for (int i = 1; i <= participants; i++) {
          OutageVersion v = iso.state().createOutage("OUT-" + key(i) + "-" + c, "RESOURCE", "RECEIVED");
          PushMessage m = PushMessage.outageStatusChange(iso.state().statusChange(key(i), v)).build();
          ReceiverProcess to = replicas.get((i + c) % replicas.size());
          urls.add("https://127.0.0.1:" + to.pushPort + "/iso/v1/push/" + key(i));
          envelopes.add(signer.sign(m, PushSigner.Algorithm.RSA_SHA256));
        }
      }
      say(envelopes.size() + " pushes signed");
      Map<Integer, Integer> statuses = new TreeMap<>();
      Map<String, Integer> errors = new TreeMap<>();
      long pushStart = System.nanoTime();
      try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(16).timeout(Duration.ofSeconds(120)))) {
        List<Future<PushResult>> sent = new ArrayList<>();
        for (int i = 0; i < envelopes.size(); i++) {
          sent.add(pusher.push(urls.get(i), PushMessage.OUTAGE_STATUS_CHANGE_ACTION, envelopes.get(i)));
        }
        for (Future<PushResult> p : sent) {
          int status;
          try {
            status = p.toCompletionStage().toCompletableFuture().get(180, TimeUnit.SECONDS).statusCode();
          } catch (Exception e) {
            status = -1;
            Throwable cause = e.getCause() == null ? e : e.getCause();
            errors.merge(cause.getClass().getSimpleName() + ": " + cause.getMessage(), 1, Integer::sum);
          }
          statuses.merge(status, 1, Integer::sum);
        }
      }
      double pushSeconds = (System.nanoTime() - pushStart) / 1e9;
      say(f("pushed in %.1f s: %s%s", pushSeconds, statuses, errors.isEmpty() ? "" : " " + errors));
      // The claims of the pushes accepted (a push without an answer may still have been stored).
      long total = count("true");
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      long redeemed = 0;
      while (System.nanoTime() < deadline && (redeemed = count("state = 'REDEEMED'")) < total) {
        Thread.sleep(500);
      }
      double allRedeemedSeconds = (System.nanoTime() - pushStart) / 1e9;
      say(f("%d of %d claims redeemed after %.1f s", redeemed, total, allRedeemedSeconds));

      List<IsoStats.Call> calls = iso.calls().stream().filter(c -> c.service() == SERVICE).toList();
      long firstCall = calls.stream().mapToLong(IsoStats.Call::arrivalNanos).min().orElse(pushStart);
      long lastCall = calls.stream().mapToLong(IsoStats.Call::arrivalNanos).max().orElse(pushStart);
      double gate = aupMillis / 1000.0 + 0.1;
      double floor = (changes - 1) * gate;
      double[] spread = spread();
      long refusedOrFailed = count("attempts > 0 or transient_failures > 0 or last_error is not null");
      IsoStats stats = iso.stats();

      // Idle: the participants sit with nothing to redeem.
      Thread.sleep(10_000);
      long xactBefore = transactions();
      long pgBefore = pgCpu.getAsLong();
      long[] replicaBefore = replicas.stream().mapToLong(ReceiverProcess::cpuNanos).toArray();
      long idleStart = System.nanoTime();
      Thread.sleep(idleSeconds * 1000L);
      double idleWall = (System.nanoTime() - idleStart) / 1e9;
      long xactAfter = transactions();
      double pgIdle = 100.0 * (pgCpu.getAsLong() - pgBefore) / (idleWall * 1e9);
      StringBuilder replicaIdle = new StringBuilder();
      double replicaSum = 0;
      for (int i = 0; i < replicas.size(); i++) {
        double pct = 100.0 * (replicas.get(i).cpuNanos() - replicaBefore[i]) / (idleWall * 1e9);
        replicaSum += pct;
        replicaIdle.append(f(" %.2f %%", pct));
      }

      report.append(f("participants benchmark %s%n", LocalDateTime.now().withNano(0)));
      report.append(f("  %d participants x %d outage changes = %d claims, pushed at once into %d replicas "
          + "(separate JVMs, -Xmx512m, one embedded Postgres, %d cores); stand-in ISO in the bench JVM, AUP %d ms "
          + "per certificate and service, every participant registered (another's certificate is refused)%n",
          participants, changes, participants * changes, replicaCount, Runtime.getRuntime().availableProcessors(), aupMillis));
      report.append(f("  pushes: %s in %.1f s%s%n", statuses, pushSeconds, errors.isEmpty() ? "" : " " + errors));
      report.append(f("  all redeemed:              %s (%d of %d) %.1f s after the first push; first call %.1f s "
          + "after it, last call %.1f s%n", redeemed == total ? "yes" : "NO", redeemed, total, allRedeemedSeconds,
          (firstCall - pushStart) / 1e9, (lastCall - pushStart) / 1e9));
      report.append(f("  first call -> last call:   %.1f s; floor (%d gate intervals of %.1f s after the first "
          + "call) %.1f s%n", (lastCall - firstCall) / 1e9, changes - 1, gate, floor));
      report.append(f("  participants finished:    first %.1f s, last %.1f s after the first push (spread %.1f s)%n",
          spread[0], spread[1], spread[1] - spread[0]));
      report.append(f("  calls %d, AUP violations %d, claims with a refusal or failure %d%n", calls.size(),
          stats.totalViolations(), refusedOrFailed));
      report.append(f("  idle %d s (%d participants, nothing to redeem): replicas' CPU%s of one core (sum %.2f %%), "
          + "Postgres %.2f %%, %.2f transactions/s%n", Math.round(idleWall), participants, replicaIdle, replicaSum,
          pgIdle, (xactAfter - xactBefore) / idleWall));
      System.out.print(report);
      Path results = Files.createDirectories(root.resolve("bench/results"));
      Path out = results.resolve("participants-" + LocalDateTime.now().format(STAMP) + ".txt");
      Files.writeString(out, report.toString());
      say("written to " + out);
    } finally {
      replicas.forEach(ReceiverProcess::close);
      vertx.close();
    }
    return 0;
  }

  /** Seconds from the first claim's creation until the first and the last participant had every claim redeemed. */
  private double[] spread() throws Exception {
    try (Connection c = connect(); ResultSet r = c.createStatement().executeQuery("""
        WITH done AS (SELECT participant, max(redeemed_at) AS at FROM claim GROUP BY participant),
             start AS (SELECT min(created_at) AS at FROM claim)
        SELECT extract(epoch FROM min(done.at) - start.at)::float8, extract(epoch FROM max(done.at) - start.at)::float8
          FROM done, start GROUP BY start.at""")) {
      r.next();
      return new double[] {r.getDouble(1), r.getDouble(2)};
    }
  }

  private long count(String where) throws Exception {
    try (Connection c = connect(); ResultSet r = c.createStatement().executeQuery(
        "SELECT count(*) FROM claim WHERE " + where)) {
      r.next();
      return r.getLong(1);
    }
  }

  private long transactions() throws Exception {
    try (Connection c = connect(); ResultSet r = c.createStatement().executeQuery(
        "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database")) {
      r.next();
      return r.getLong(1);
    }
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
