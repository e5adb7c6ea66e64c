package org.omspush.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.receiver.DevEnvironment;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;

/**
 * The ISO-maintenance scenario of bench/redeem.sh ({@code BENCH_REDEEM_SCENARIO=maintenance}):
 * a steady stream of outage pushes into one receiver (the jar as deployed, shipped settings),
 * the stand-in ISO with the real AUP; the ISO goes down (nothing listens on its port, as in a
 * maintenance window) for {@code BENCH_MAINTENANCE_MINUTES} (default 30) while the pushes go on,
 * then comes back. Reports the claims lost (DEAD), the minutes from the ISO's return until no
 * claim pushed before it is still PENDING, the share of the AUP budget used meanwhile, and the AUP
 * violations. A measurement: it never fails on a number.
 */
public final class MaintenanceBench {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm");
  private static final RetrieveService SERVICE = RetrieveService.OUTAGE_BY_CLAIM_CHECK;

  private final Path root;
  private final Path jar;
  private final double outageMinutes;
  private final int pushEverySeconds;
  private final int beforeSeconds;
  private final long aupMillis;
  private final int pgPort;
  private final String tag = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36).toUpperCase(Locale.ROOT);
  private DatabaseUrl url;

  private MaintenanceBench(String[] args) {
    Map<String, String> env = System.getenv();
    root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    jar = Path.of(env.getOrDefault("BENCH_RECEIVER_JAR", root.resolve("receiver/target/oms-receiver.jar").toString()));
    outageMinutes = Double.parseDouble(env.getOrDefault("BENCH_MAINTENANCE_MINUTES", "30"));
    pushEverySeconds = Integer.parseInt(env.getOrDefault("BENCH_MAINTENANCE_PUSH_SECONDS", "15"));
    beforeSeconds = Integer.parseInt(env.getOrDefault("BENCH_MAINTENANCE_BEFORE_SECONDS", "60"));
    aupMillis = Long.parseLong(env.getOrDefault("BENCH_ISO_AUP_MS", "5000"));
    pgPort = Integer.parseInt(env.getOrDefault("BENCH_PG_PORT", "54349"));
  }

  public static void main(String[] args) {
    int status;
    try {
      status = new MaintenanceBench(args).run();
    } catch (Exception | Error e) {
      System.err.println("bench failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private static void say(String line) {
    System.err.println("[maintenance " + LocalDateTime.now().toLocalTime().withNano(0) + "] " + line);
  }

  private int run() throws Exception {
    Path work = Files.createTempDirectory("oms-maintenance-bench-");
    say("work directory " + work + "; ISO down for " + outageMinutes + " min; a push every " + pushEverySeconds
        + " s");
    DevPki pki = DevPki.generate(work.resolve("pki"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    IsoState state = new IsoState();
    try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("db"), pgPort)) {
      return measure(db, pki, vertx, state, work);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    }
  }

  /** The scenario; the receiver and the ISO stop before the database does. */
  private int measure(EmbeddedDatabase db, DevPki pki, Vertx vertx, IsoState state, Path work) throws Exception {
    ReceiverProcess receiver = null;
    IsoSim iso = null;
    try {
      url = db.url();
      Migrations.migrate(url);
      iso = await(IsoSim.start(vertx, isoOptions(pki, state, 0)));
      int isoPort = iso.port();
      Map<String, String> env = new LinkedHashMap<>(DevEnvironment.of(pki));
      env.put("OMS_DATABASE_URL", "postgresql://" + url.user() + "@" + url.host() + ":" + url.port() + "/"
          + url.database());
      env.put("OMS_ISO_BASE_URL", iso.baseUrl());
      env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
      env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
      env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
      env.put("OMS_ISO_SERVICES", SERVICE.serviceName());
      env.put("OMS_LOG_LEVEL", "INFO");
      for (String name : List.of("OMS_AUP_INTERVAL", "OMS_AUP_MARGIN", "OMS_RETRY_BASE", "OMS_RETRY_MAX",
          "OMS_RETRIEVE_TIMEOUT")) {
        if (System.getenv(name) != null) {
          env.put(name, System.getenv(name));
        }
      }
      receiver = ReceiverProcess.start(jar, List.of("-Xmx512m"), env, work.resolve("receiver.log"));
      say("receiver ready (pid " + receiver.pid() + ")");

      Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(2).timeout(Duration.ofSeconds(60)));
      PushSigner signer = PushSigner.of(pki.isoPushClient());
      String pushUrl = "https://127.0.0.1:" + receiver.pushPort + "/iso/v1/push";
      AtomicInteger pushed = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      Thread stream = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          try {
            OutageVersion v = state.createOutage("MNT-" + tag + "-" + pushed.get(), "RESOURCE", "RECEIVED");
            PushMessage message = PushMessage.outageStatusChange(state.statusChange(v)).build();
            byte[] signed = signer.sign(message, PushSigner.Algorithm.RSA_SHA256);
            PushResult r = pusher.push(pushUrl, message, signed)
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            (r.statusCode() == 200 ? pushed : refused).incrementAndGet();
            Thread.sleep(pushEverySeconds * 1000L);
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            refused.incrementAndGet();
            say("push failed: " + e);
          }
        }
      }, "maintenance-push-stream");
      stream.setDaemon(true);
      stream.start();

      Thread.sleep(beforeSeconds * 1000L);
      long violationsBefore = iso.stats().totalViolations();
      say(f("before the maintenance: %d pushed, %d REDEEMED, %d PENDING", pushed.get(), count("REDEEMED"),
          count("PENDING")));
      await(iso.close());
      long down = System.nanoTime();
      say("ISO down (nothing listens on port " + isoPort + ")");
      long downNanos = (long) (outageMinutes * 60e9);
      while (System.nanoTime() - down < downNanos) {
        Thread.sleep(Math.min(60_000, Math.max(1, (downNanos - (System.nanoTime() - down)) / 1_000_000)));
        say(f("  down %.1f min: %d pushed, %d PENDING, %d DEAD, receiver oms_iso_unavailable=%.0f",
            (System.nanoTime() - down) / 60e9, pushed.get(), count("PENDING"), count("DEAD"),
            receiver.metric("oms_iso_unavailable")));
      }
      long backlog = count("PENDING");
      long deadAtReturn = count("DEAD");
      iso = await(IsoSim.start(vertx, isoOptions(pki, state, isoPort)));
      long back = System.nanoTime();
      String backAt = dbNow();
      say("ISO back with " + backlog + " claims PENDING");
      long drainedNanos = -1;
      long firstAccepted = -1;
      long limit = back + Duration.ofMinutes((long) Math.max(10, outageMinutes * 2)).toNanos();
      while (System.nanoTime() < limit) {
        Thread.sleep(250);
        if (firstAccepted < 0 && iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, SERVICE) > 0) {
          firstAccepted = System.nanoTime();
        }
        if (pendingSince(backAt) == 0) {
          drainedNanos = System.nanoTime();
          break;
        }
      }
      stream.interrupt();
      stream.join(70_000);
      pusher.close();
      double drainSeconds = drainedNanos < 0 ? Double.NaN : (drainedNanos - back) / 1e9;
      List<IsoStats.Call> calls = iso.calls().stream().filter(c -> c.service() == SERVICE).toList();
      long drainedAt = drainedNanos;
      long accepted = calls.stream().filter(c -> drainedAt < 0 || c.arrivalNanos() <= drainedAt)
          .filter(IsoStats.Call::accepted).count();
      // From the first call after the return (detection) to the drain: the budget the gate could use.
      double budgetSeconds = firstAccepted < 0 || drainedNanos < 0 ? Double.NaN
          : (drainedNanos - calls.get(0).arrivalNanos()) / 1e9;
      double share = (accepted - 1) / (budgetSeconds / (aupMillis / 1000.0));
      long violations = violationsBefore + iso.stats().totalViolations();
      long dead = count("DEAD");
      String report = String.join("\n",
          "ISO maintenance scenario (bench/redeem.sh, BENCH_REDEEM_SCENARIO=maintenance), " + LocalDateTime.now(),
          f("ISO down %.1f min; one push every %d s throughout (%d pushed, %d not acknowledged); AUP %d ms",
              outageMinutes, pushEverySeconds, pushed.get(), refused.get(), aupMillis),
          f("claims PENDING at the ISO's return: %d; DEAD at the return: %d; DEAD at the end (claims lost): %d",
              backlog, deadAtReturn, dead),
          f("first accepted call %.1f s after the return; backlog drained (no claim from before the return PENDING)"
              + " %.2f min after the return", firstAccepted < 0 ? Double.NaN : (firstAccepted - back) / 1e9,
              drainSeconds / 60),
          f("AUP budget used from the first call to the drain: %d calls in %.1f s = %.1f %% of one call every %d ms",
              accepted, budgetSeconds, share * 100, aupMillis),
          f("AUP violations: %d", violations),
          "");
      System.out.println();
      System.out.print(report);
      Path results = root.resolve("bench/results");
      Files.createDirectories(results);
      Path file = results.resolve("redeem-maintenance-" + STAMP.format(LocalDateTime.now()) + ".txt");
      Files.writeString(file, report, StandardCharsets.UTF_8);
      say("written to " + file + "; the receiver's log: " + work.resolve("receiver.log"));
      return 0;
    } finally {
      if (receiver != null) {
        receiver.close();
      }
      if (iso != null) {
        try {
          await(iso.close());
        } catch (Exception e) {
          // stopping anyway
        }
      }
    }
  }

  private IsoSimOptions isoOptions(DevPki pki, IsoState state, int port) {
    return IsoSimOptions.of(pki).aupInterval(Duration.ofMillis(aupMillis)).state(state).port(port);
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  private long count(String state) throws Exception {
    return count("SELECT count(*) FROM claim WHERE state = ?", state);
  }

  /** Claims still PENDING that were created before this database time. */
  private long pendingSince(String at) throws Exception {
    return count("SELECT count(*) FROM claim WHERE state = 'PENDING' AND created_at < ?::timestamptz", at);
  }

  private long count(String sql, String parameter) throws Exception {
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private String dbNow() throws Exception {
    try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery("SELECT now()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
