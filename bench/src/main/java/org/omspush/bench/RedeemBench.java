package org.omspush.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
 * The redemption benchmark (bench/redeem.sh): how much of the ISO's AUP budget the redemption
 * worker uses on one backlogged retrieve service, with one replica and then with three (separate
 * JVMs on one database), and how long 100 outages take from push to REDEEMED.
 *
 * <p>One embedded Postgres; the isosim in this JVM (so every call's arrival time is at hand) with
 * the real AUP interval, 5 s; the receiver jar as deployed, with the shipped AUP settings
 * (OMS_AUP_INTERVAL=5s, OMS_AUP_MARGIN=100ms). A backlog of outage claims is pushed up front
 * through the first replica; its first 100 are the end-to-end set. Each phase measures a fixed
 * window; replicas are added between phases, never stopped, so the backlog keeps draining
 * through the change. Prints one table and writes it to bench/results/redeem-DATE.txt. It
 * measures and reports against the targets; it never fails on a number.
 */
public final class RedeemBench {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm");
  private static final RetrieveService SERVICE = RetrieveService.OUTAGE_BY_CLAIM_CHECK;

  private final RedeemSettings s;
  private final List<ReceiverProcess> replicas = new CopyOnWriteArrayList<>();
  private final List<String> replicaNames = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final String tag = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36).toUpperCase(Locale.ROOT);
  private Path work;
  private IsoSim iso;
  private DatabaseUrl url;
  private Map<String, String> env;
  private List<String> jvm;
  private String pgVersion;
  private String loadBefore;
  private LongSupplier pgCpu;

  private RedeemBench(RedeemSettings settings) {
    this.s = settings;
  }

  public static void main(String[] args) {
    int status;
    try {
      status = new RedeemBench(RedeemSettings.fromEnvironment(args)).run();
    } catch (Exception | Error e) {
      System.err.println("bench failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private static void say(String line) {
    System.err.println("[redeem " + LocalDateTime.now().toLocalTime().withNano(0) + "] " + line);
  }

  // ------------------------------------------------------------------ what is measured

  /** The end-to-end set: pushed first, from the first push until all its claims are REDEEMED. */
  private final class EndToEnd {
    Instant firstPush;
    Instant allAcked;
    OffsetDateTime firstRedeemed;
    OffsetDateTime lastRedeemed;
    long claims;
    long redeemed;
    long events;
    double medianClaimSeconds = Double.NaN;

    /** Every outage of the set has a REDEEMED claim (catch-up may have added SUPERSEDED copies: not counted). */
    boolean done() {
      return claims == s.e2eOutages() && redeemed == claims;
    }

    void poll() {
      if (done()) {
        return;
      }
      try (Connection c = connect();
          PreparedStatement ps = c.prepareStatement("""
              SELECT count(DISTINCT outage_mrid), count(DISTINCT outage_mrid) FILTER (WHERE state = 'REDEEMED'),
                     min(redeemed_at), max(redeemed_at),
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM redeemed_at - created_at))
                       FILTER (WHERE state = 'REDEEMED')
                FROM claim WHERE outage_mrid LIKE ?""")) {
        ps.setString(1, e2ePrefix() + "%");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          claims = rs.getLong(1);
          redeemed = rs.getLong(2);
          firstRedeemed = rs.getObject(3, OffsetDateTime.class);
          lastRedeemed = rs.getObject(4, OffsetDateTime.class);
          medianClaimSeconds = rs.getDouble(5);
        }
        if (done()) {
          events = count("SELECT count(*) FROM event WHERE outage_mrid LIKE ?", e2ePrefix() + "%");
          say(f("end-to-end: all %d claims REDEEMED %.1f s after the first push", claims, seconds(lastRedeemed)));
        }
      } catch (Exception e) {
        say("end-to-end poll failed: " + e);
      }
    }

    double seconds(OffsetDateTime t) {
      return t == null ? Double.NaN : Duration.between(firstPush, t.toInstant()).toMillis() / 1000.0;
    }
  }

  /** Counters read at the start and at the end of a window. */
  private record Snapshot(long nanos, Map<String, Double> documents, double aupPages, double failedCalls,
      long gateTakes, Cpu.Snapshot cpu, String load, long pending) {}

  /** One measured window. */
  private record Phase(int replicas, double seconds, List<IsoStats.Call> calls, Snapshot start, Snapshot end,
      long windowStartNanos, double replicaStartSeconds, double replicasAddedAfterPush, long minPending) {

    List<IsoStats.Call> accepted() {
      return calls.stream().filter(IsoStats.Call::accepted).toList();
    }

    long violations() {
      return calls.stream().filter(c -> !c.accepted()).count();
    }

    double[] gapsMs() {
      List<IsoStats.Call> a = accepted();
      double[] gaps = new double[Math.max(0, a.size() - 1)];
      for (int i = 1; i < a.size(); i++) {
        gaps[i - 1] = (a.get(i).arrivalNanos() - a.get(i - 1).arrivalNanos()) / 1e6;
      }
      Arrays.sort(gaps);
      return gaps;
    }

    /** Accepted calls per minute counted in the window (calls / window). */
    double perMinute() {
      return accepted().size() * 60.0 / seconds;
    }

    /** The steady rate, without the fence post: (n - 1) calls over the span from the first to the last. */
    double steadyPerMinute() {
      List<IsoStats.Call> a = accepted();
      if (a.size() < 2) {
        return Double.NaN;
      }
      double span = (a.get(a.size() - 1).arrivalNanos() - a.get(0).arrivalNanos()) / 1e9;
      return (a.size() - 1) * 60.0 / span;
    }

    /** Accepted calls in each whole minute of the window. */
    int[] minutes() {
      int[] m = new int[(int) (seconds / 60)];
      for (IsoStats.Call c : accepted()) {
        int i = (int) ((c.arrivalNanos() - windowStartNanos) / 60_000_000_000L);
        if (i < m.length) {
          m[i]++;
        }
      }
      return m;
    }
  }

  private final EndToEnd e2e = new EndToEnd();
  private final List<Phase> phases = new ArrayList<>();
  private final Map<String, Integer> replicaPushes = new LinkedHashMap<>();
  private String e2ePushStatuses;
  private volatile Feeder feeder;
  private volatile GateSampler gates;

  // ------------------------------------------------------------------ the run

  private int run() throws Exception {
    long began = System.nanoTime();
    work = Files.createTempDirectory("oms-redeem-bench-");
    boolean ok = false;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> replicas.forEach(ReceiverProcess::close),
        "redeem-bench-cleanup"));
    loadBefore = loadAverage();
    say("work directory " + work + "; load average " + loadBefore);
    DevPki pki = DevPki.generate(work.resolve("pki"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("db"), s.pgPort())) {
      try {
        url = db.url();
        Migrations.migrate(url);
        pgVersion = serverVersion();
        pgCpu = Cpu.postgres(db.dataDirectory());
        say("embedded PostgreSQL " + pgVersion + " on 127.0.0.1:" + db.port());

        iso = IsoSim.start(vertx, IsoSimOptions.of(pki)
                .aupInterval(Duration.ofMillis(s.isoAupMillis()))
                .documentSize(s.documentBytes()))
            .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        say("isosim (in this JVM) at " + iso.baseUrl() + ", AUP " + s.isoAupMillis() + " ms per certificate and "
            + "service, documents of " + s.documentBytes() + " bytes");

        env = receiverEnv(pki);
        jvm = List.of("-Xmx" + s.receiverHeap());

        // 1. the first replica, and its start-up catch-up, answered before the ISO knows any outage (so it finds
        // none). Its answer, not its arrival: the isosim builds the answer after the call is counted.
        startReplicas(1);
        if (servesChanges()) {
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          String changes = RetrieveService.OUTAGE_CHANGES.serviceName();
          while (System.nanoTime() < deadline
              && metric(metrics(replicas.get(0)), "oms_retrieve_calls_total", changes, null) < 1) {
            Thread.sleep(200);
          }
          say("start-up catch-up answered: " + callsOf(RetrieveService.OUTAGE_CHANGES) + " call(s)");
        }

        gates = new GateSampler();
        Thread sampling = new Thread(gates, "redeem-bench-gate-sampler");
        sampling.setDaemon(true);
        sampling.start();

        // 2. the end-to-end set, signed up front (signing is not measured) and pushed at once
        String pushUrl = "https://127.0.0.1:" + replicas.get(0).pushPort + "/iso/v1/push";
        try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(8).timeout(Duration.ofSeconds(60)))) {
          PushSigner signer = PushSigner.of(pki.isoPushClient());
          say("signing " + s.e2eOutages() + " outage pushes");
          List<byte[]> signed = sign(signer, outages(e2ePrefix(), 0, s.e2eOutages()));
          Map<Integer, Integer> statuses = new java.util.TreeMap<>();
          long t0 = System.nanoTime();
          e2e.firstPush = Instant.now();
          push(pusher, pushUrl, signed, statuses);
          e2e.allAcked = Instant.now();
          e2ePushStatuses = statuses.toString();
          say(f("pushed the end-to-end set: %d outage changes in %.1f s: %s", s.e2eOutages(),
              (System.nanoTime() - t0) / 1e9, statuses));
          if (statuses.getOrDefault(200, 0) != s.e2eOutages()) {
            throw new IllegalStateException("the receiver did not accept every push: " + statuses + "\n"
                + replicas.get(0).logTail(40));
          }

          // 3. the backlog is kept from then on: the ISO keeps pushing while the worker drains
          Feeder feeder = new Feeder(pusher, signer, pushUrl);
          Thread feeding = new Thread(feeder, "redeem-bench-feeder");
          feeding.setDaemon(true);
          feeding.start();
          this.feeder = feeder;

          // 4. the windows: replicas are added before each, never removed
          for (int count : s.replicas()) {
            double startSeconds = 0;
            double addedAfterPush = Double.NaN;
            if (replicas.size() < count) {
              addedAfterPush = Duration.between(e2e.firstPush, Instant.now()).toMillis() / 1000.0;
              long t = System.nanoTime();
              startReplicas(count);
              startSeconds = (System.nanoTime() - t) / 1e9;
              if (s.settleSeconds() > 0) {
                say("settling for " + s.settleSeconds() + " s (the new JVMs' first calls) before the window");
                long until = System.nanoTime() + s.settleSeconds() * 1_000_000_000L;
                while (System.nanoTime() < until) {
                  Thread.sleep(250);
                  e2e.poll();
                  checkAlive();
                }
              }
            }
            phases.add(measure(count, startSeconds, addedAfterPush));
          }
          feeder.stop = true;
          feeding.join(120_000);

          // 5. the end-to-end set, if the windows were too short for it
          if (!e2e.done()) {
            long limit = (long) (s.e2eOutages() * s.isoAupMillis() * 2.5) + 120_000;
            say("waiting for the end-to-end set (" + e2e.redeemed + "/" + e2e.claims + " REDEEMED so far), at most "
                + limit / 1000 + " s from the first push");
            while (!e2e.done() && Duration.between(e2e.firstPush, Instant.now()).toMillis() < limit) {
              Thread.sleep(500);
              e2e.poll();
              checkAlive();
            }
          }
        }

        // 6. the replicas stop first (their logs complete, the database still up), then the report
        gates.stop = true;
        for (ReceiverProcess r : replicas) {
          r.close();
        }
        String report = report((System.nanoTime() - began) / 1e9);
        System.out.println();
        System.out.print(report);
        Files.createDirectories(s.resultsDir());
        Path file = s.resultsDir().resolve("redeem-" + STAMP.format(LocalDateTime.now()) + ".txt");
        Files.writeString(file, report, StandardCharsets.UTF_8);
        say("written to " + file);
        ok = true;
      } finally {
        if (feeder != null) {
          feeder.stop = true;
        }
        if (gates != null) {
          gates.stop = true;
        }
        // before the database stops
        for (ReceiverProcess r : replicas) {
          r.close();
        }
        if (iso != null) {
          try {
            iso.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
          } catch (Exception e) {
            // stopping anyway
          }
        }
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
      if (ok && !s.keep()) {
        deleteTree(work);
      } else {
        say("kept " + work + " (receiver logs, PKI, database)");
      }
    }
    return 0;
  }

  private Phase measure(int count, double replicaStartSeconds, double addedAfterPush) throws Exception {
    say("window: " + count + " replica(s), " + s.windowSeconds() + " s");
    Snapshot start = snapshot();
    feeder.takeMinPending();
    long windowEnd = start.nanos() + s.windowSeconds() * 1_000_000_000L;
    long lastNote = System.nanoTime();
    while (System.nanoTime() < windowEnd) {
      Thread.sleep(Math.max(1, Math.min(250, (windowEnd - System.nanoTime()) / 1_000_000)));
      e2e.poll();
      checkAlive();
      if (System.nanoTime() - lastNote > 60_000_000_000L) {
        lastNote = System.nanoTime();
        say(f("  %.0f s: %d calls, %d violations so far on %s; end-to-end %d/%d REDEEMED", (lastNote - start.nanos())
            / 1e9, iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, SERVICE), iso.stats().totalViolations(),
            SERVICE.serviceName(), e2e.redeemed, e2e.claims));
      }
    }
    Snapshot end = snapshot();
    long minPending = Math.min(feeder.takeMinPending(), end.pending());
    List<IsoStats.Call> calls = iso.calls().stream()
        .filter(c -> c.service() == SERVICE && c.arrivalNanos() >= start.nanos() && c.arrivalNanos() < end.nanos())
        .toList();
    Phase p = new Phase(count, (end.nanos() - start.nanos()) / 1e9, calls, start, end, start.nanos(),
        replicaStartSeconds, addedAfterPush, minPending);
    say(f("%d replica(s): %d accepted, %d violations in %.0f s: %.2f calls/min; steady %.2f calls/min; "
        + "at least %d claims pending throughout", count, p.accepted().size(), p.violations(), p.seconds(), p.perMinute(),
        p.steadyPerMinute(), minPending));
    return p;
  }

  private Snapshot snapshot() throws Exception {
    Map<String, Double> docs = new LinkedHashMap<>();
    double pages = 0;
    double failed = 0;
    for (int i = 0; i < replicas.size(); i++) {
      String metrics = metrics(replicas.get(i));
      docs.put(replicaNames.get(i), metric(metrics, "oms_retrieve_calls_total", SERVICE.serviceName(), "document"));
      pages += metric(metrics, "oms_aup_pages_total", SERVICE.serviceName(), null);
      // calls that failed without an answer (timeouts, connection errors), and faults
      failed += metric(metrics, "oms_retrieve_calls_total", SERVICE.serviceName(), "transient")
          + metric(metrics, "oms_retrieve_calls_total", SERVICE.serviceName(), "fault")
          + metric(metrics, "oms_retrieve_calls_total", SERVICE.serviceName(), "rejected");
    }
    long takes;
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(calls), 0) FROM aup_gate WHERE service = ?")) {
      ps.setString(1, SERVICE.serviceName());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        takes = rs.getLong(1);
      }
    }
    long pending = count("SELECT count(*) FROM claim WHERE state = 'PENDING' AND service = ?", SERVICE.serviceName());
    List<ReceiverProcess> now = List.copyOf(replicas);
    LongSupplier receivers = () -> now.stream().mapToLong(ReceiverProcess::cpuNanos).sum();
    Cpu.Snapshot cpu = Cpu.Snapshot.take(receivers, pgCpu, () -> Cpu.nanos(ProcessHandle.current()), Cpu::machine);
    return new Snapshot(System.nanoTime(), docs, pages, failed, takes, cpu, loadAverage(), pending);
  }

  private void startReplicas(int count) throws Exception {
    int from = replicas.size();
    say("starting " + (count - from) + " replica(s) (" + String.join(" ", jvm) + ")");
    ExecutorService starters = Executors.newFixedThreadPool(count - from);
    try {
      List<java.util.concurrent.Future<ReceiverProcess>> started = new ArrayList<>();
      for (int i = from; i < count; i++) {
        Path log = work.resolve("replica-" + (i + 1) + ".log");
        started.add(starters.submit(() -> ReceiverProcess.start(s.receiverJar(), jvm, env, log)));
      }
      for (int i = 0; i < started.size(); i++) {
        ReceiverProcess r = started.get(i).get();
        replicas.add(r);
        replicaNames.add("replica-" + (from + i + 1));
        say("replica-" + (from + i + 1) + " ready (pid " + r.pid() + ")");
      }
    } finally {
      starters.shutdown();
    }
  }

  private void checkAlive() {
    for (int i = 0; i < replicas.size(); i++) {
      if (!replicas.get(i).isAlive()) {
        throw new IllegalStateException(replicaNames.get(i) + " exited:\n" + replicas.get(i).logTail(40));
      }
    }
  }

  /** New outages in the ISO's state (version 1, with a claim check each), as the pushes that announce them. */
  private List<PushMessage> outages(String prefix, int from, int n) {
    List<PushMessage> out = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      OutageVersion v = iso.state().createOutage(prefix + i, i % 3 == 0 ? "RESOURCE" : "TRANSMISSION", "RECEIVED");
      out.add(PushMessage.outageStatusChange(iso.state().statusChange(v)).build());
    }
    return out;
  }

  private static List<byte[]> sign(PushSigner signer, List<PushMessage> messages) throws Exception {
    int threads = Runtime.getRuntime().availableProcessors();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<byte[]>> tasks = new ArrayList<>();
      for (PushMessage m : messages) {
        tasks.add(pool.submit(() -> signer.sign(m, PushSigner.Algorithm.RSA_SHA256)));
      }
      List<byte[]> out = new ArrayList<>();
      for (var t : tasks) {
        out.add(t.get());
      }
      return out;
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Watches the AUP gate row of the service every 50 ms: each increase of its {@code calls} is a
   * take, at {@code last_taken_at} (the database clock, on this machine).
   * Matched with the isosim's arrivals, it splits every gap into the gate's spacing and the time
   * from taking the gate to the request's arrival at the ISO, which the margin must cover.
   */
  private final class GateSampler implements Runnable {
    final List<Instant> takes = new CopyOnWriteArrayList<>();
    volatile boolean stop;

    @Override
    public void run() {
      long lastCalls = 0;
      while (!stop) {
        try (Connection c = connect();
            PreparedStatement ps = c.prepareStatement(
                "SELECT calls, last_taken_at, aup_pages FROM aup_gate WHERE service = ?")) {
          // one identity in this benchmark: one row per service
          ps.setString(1, SERVICE.serviceName());
          while (!stop) {
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                long calls = rs.getLong(1);
                OffsetDateTime taken = rs.getObject(2, OffsetDateTime.class);
                if (calls > lastCalls && taken != null) {
                  takes.add(taken.toInstant());
                }
                lastCalls = calls;
              }
            }
            Thread.sleep(50);
          }
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          say("gate sampler: " + e);
          try {
            Thread.sleep(1000);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }

    /** Milliseconds from the latest take at or before the arrival to the arrival; NaN if none within 5 s. */
    double delayMs(IsoStats.Call call) {
      Instant best = null;
      for (Instant t : takes) {
        if (!t.isAfter(call.arrivedAt()) && (best == null || t.isAfter(best))) {
          best = t;
        }
      }
      if (best == null) {
        return Double.NaN;
      }
      double ms = Duration.between(best, call.arrivedAt()).toNanos() / 1e6;
      return ms < 5000 ? ms : Double.NaN;
    }
  }

  /**
   * Keeps the service backlogged as the ISO would, a trickle of pushes: whenever fewer than
   * BENCH_REDEEM_QUEUE claims are pending, pushes as many new outages (signed when sent) as are
   * missing, so about one push per redemption. A large backlog pushed up front would bury a claim
   * that the worker gives back (a wasted gate slot re-queues it behind every claim then due)
   * under the whole backlog, and the end-to-end set would not finish in the run.
   */
  private final class Feeder implements Runnable {
    final Pusher pusher;
    final PushSigner signer;
    final String url;
    volatile boolean stop;
    volatile long minPending = Long.MAX_VALUE;
    final Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentSkipListMap<>();
    int pushed;
    String failure;

    Feeder(Pusher pusher, PushSigner signer, String url) {
      this.pusher = pusher;
      this.signer = signer;
      this.url = url;
    }

    @Override
    public void run() {
      while (!stop) {
        try {
          long pending = count("SELECT count(*) FROM claim WHERE state = 'PENDING' AND service = ?",
              SERVICE.serviceName());
          minPending = Math.min(minPending, pending);
          if (pending < s.queue()) {
            int n = (int) (s.queue() - pending);
            List<byte[]> signed = sign(signer, outages("BKL-" + tag + "-", pushed, n));
            push(pusher, url, signed, statuses);
            pushed += n;
          }
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          failure = e.toString();
          say("feeder: " + e);
        }
      }
    }

    /** The fewest pending claims seen since the last call. */
    long takeMinPending() {
      long m = minPending;
      minPending = Long.MAX_VALUE;
      return m;
    }
  }

  private static void push(Pusher pusher, String url, List<byte[]> envelopes, Map<Integer, Integer> statuses)
      throws Exception {
    List<Future<PushResult>> sent = new ArrayList<>();
    for (byte[] e : envelopes) {
      sent.add(pusher.push(url, PushMessage.OUTAGE_STATUS_CHANGE_ACTION, e));
    }
    for (Future<PushResult> f : sent) {
      int status;
      try {
        status = f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS).statusCode();
      } catch (Exception e) {
        status = -1;
      }
      statuses.merge(status, 1, Integer::sum);
    }
  }

  private Map<String, String> receiverEnv(DevPki pki) {
    Map<String, String> e = new LinkedHashMap<>(DevEnvironment.of(pki));
    e.put("OMS_DATABASE_URL", "postgresql://" + url.user() + "@" + url.host() + ":" + url.port() + "/"
        + url.database());
    e.put("OMS_ISO_BASE_URL", iso.baseUrl());
    e.put("OMS_ISO_CA", pki.isoCaBundle().toString());
    e.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
    e.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
    e.putAll(s.receiverOverrides());
    return e;
  }

  private boolean servesChanges() {
    String services = env.get("OMS_ISO_SERVICES");
    return services == null || services.contains(RetrieveService.OUTAGE_CHANGES.serviceName());
  }

  private long callsOf(RetrieveService service) {
    return iso.stats().calls(DevPki.PARTICIPANT_CLIENT_DN, service);
  }

  private String e2ePrefix() {
    return "E2E-" + tag + "-";
  }

  // ------------------------------------------------------------------ the report

  private String report(double totalSeconds) throws Exception {
    long interval = s.isoAupMillis();
    double allowedPerMinute = 60_000.0 / interval;
    long gateMs = gateMillis();
    double ceiling = (double) interval / gateMs;
    StringBuilder b = new StringBuilder();
    Runtime rt = Runtime.getRuntime();
    b.append(f("OMS push receiver: redemption benchmark, %s UTC%n",
        LocalDateTime.now(ZoneOffset.UTC).withNano(0).toString().replace('T', ' ')));
    b.append(f("machine: %d cores, %s, %s %s, Java %s; load average before %s, after %s%n", rt.availableProcessors(),
        memTotal(), System.getProperty("os.name"), System.getProperty("os.version"),
        System.getProperty("java.version"), loadBefore, loadAverage()));
    b.append(f("database: embedded PostgreSQL %s (zonky), fsync on, one server for every replica%n", pgVersion));
    b.append(f("ISO: isosim in the benchmark's JVM, AUP %d ms per (certificate, service) measured at each request's "
        + "arrival; documents of %d bytes%n", interval, s.documentBytes()));
    b.append(f("receivers: java %s -jar oms-receiver.jar serve, each its own JVM; OMS_AUP_INTERVAL=%s "
        + "OMS_AUP_MARGIN=%s (a take closes the gate for %d ms, which caps the budget at %.2f %% until the answer "
        + "is back; then the gate opens at the answer's time + the interval); OMS_POLL_INTERVAL=%s; "
        + "services %s%n", String.join(" ", jvm), env.getOrDefault("OMS_AUP_INTERVAL", "5s (default)"),
        env.getOrDefault("OMS_AUP_MARGIN", "100ms (default)"), gateMs, 100 * ceiling,
        env.getOrDefault("OMS_POLL_INTERVAL", "1s (default)"), env.getOrDefault("OMS_ISO_SERVICES", "all (default)")));
    b.append(f("backlog on %s: the end-to-end set of %d outages pushed at once through replica-1 (answers %s); from "
        + "then on new outages pushed whenever fewer than %d claims were pending (%d pushed, answers %s%s)%n",
        SERVICE.serviceName(), s.e2eOutages(), e2ePushStatuses, s.queue(), feeder.pushed, feeder.statuses,
        feeder.failure == null ? "" : "; last failure " + feeder.failure));
    b.append(f("windows: %d s each; replicas are added between windows (the backlog keeps draining while they "
        + "start; the next window begins %d s after they are ready), never stopped%n%n", s.windowSeconds(),
        s.settleSeconds()));

    long marginMs = gateMs - parseMillis(env.getOrDefault("OMS_AUP_INTERVAL", "5s"));
    b.append(f("%-8s | %6s | %5s | %8s | %10s | %12s | %11s | %13s | %-25s | %-36s | %-16s | %-22s | %s%n",
        "replicas", "window", "calls", "accepted", "violations", "calls/min", "budget used", "steady budget",
        "gap ms min/p50/mean/max", "take->arrival ms p50/p99/max", "calls per minute", "CPU rx/pg/bench/other",
        "load avg (1 min) start/end"));
    b.append("-".repeat(225)).append('\n');
    for (Phase p : phases) {
      double[] gaps = p.gapsMs();
      double[] cpu = p.end().cpu().since(p.start().cpu());
      double[] delays = p.calls().stream().mapToDouble(gates::delayMs).filter(d -> !Double.isNaN(d)).sorted().toArray();
      b.append(f("%-8d | %5.0fs | %5d | %8d | %10d | %5.2f / %2.0f | %10.1f%% | %12.1f%% | %-25s | %-36s | %-16s | "
              + "%-22s | %s / %s%n",
          p.replicas(), p.seconds(), p.calls().size(), p.accepted().size(), p.violations(), p.perMinute(),
          allowedPerMinute, 100.0 * p.accepted().size() / (p.seconds() * 1000 / interval),
          100.0 * p.steadyPerMinute() / allowedPerMinute,
          gaps.length == 0 ? "n/a" : f("%.0f/%.0f/%.0f/%.0f", gaps[0], gaps[gaps.length / 2],
              Arrays.stream(gaps).average().orElse(Double.NaN), gaps[gaps.length - 1]),
          delays.length == 0 ? "n/a" : f("%.1f/%.1f/%.1f (%d; %d > %d ms)", delays[(delays.length - 1) / 2],
              delays[(int) Math.ceil(0.99 * delays.length) - 1], delays[delays.length - 1], delays.length,
              Arrays.stream(delays).filter(d -> d > marginMs).count(), marginMs),
          Arrays.toString(p.minutes()).replace(", ", " "),
          f("%3.0f / %3.0f / %3.0f / %3.0f", cpu[0], cpu[1], cpu[2], cpu[3] - cpu[0] - cpu[1] - cpu[2]),
          p.start().load().split(" ")[0], p.end().load().split(" ")[0]));
    }
    b.append(f("calls/min: accepted calls in the window / its minutes, against the %.0f the AUP allows. "
        + "budget used: accepted calls / (window / %d ms).%n", allowedPerMinute, interval));
    b.append("take->arrival: from the gate's take (database clock) to the request's arrival at the isosim (this JVM's "
        + "clock, same machine), for the calls matched to a take (count in brackets, and how many took longer than "
        + "the margin); the margin must cover it.\n");
    b.append("steady budget: (accepted - 1) / (last arrival - first arrival) against the AUP: the same rate without the "
        + "fence post of a window that starts and ends between calls.\n");
    b.append("gap: between consecutive accepted calls as the ISO saw them arrive. calls per minute: accepted calls in "
        + "each whole minute of the window.\n");
    b.append("CPU: percent of one core during the window: all receivers / postgres / this JVM (isosim, pushes, "
        + "polling) / everything else on the machine.\n\n");

    for (Phase p : phases) {
      b.append(f("%d replica(s):", p.replicas()));
      if (p.replicaStartSeconds() > 0) {
        b.append(f(" added at %.0f s after the first push, ready %.1f s later, window after %d s more;",
            p.replicasAddedAfterPush(), p.replicaStartSeconds(), s.settleSeconds()));
      }
      StringBuilder per = new StringBuilder();
      p.end().documents().forEach((name, v) -> {
        Double before = p.start().documents().get(name);
        per.append(per.length() == 0 ? "" : ", ").append(name).append(' ')
            .append(f("%.0f", v - (before == null || before.isNaN() ? 0 : before)));
      });
      long takes = p.end().gateTakes() - p.start().gateTakes();
      b.append(f(" documents retrieved per replica: %s; gate taken %d times, %d calls arrived (%d slot(s) taken but "
              + "not used, +-1 at the edges); AUP pages seen by the receivers %.0f; failed calls (timeouts, faults) "
              + "%.0f; fewest claims pending %d%n", per,
          takes, p.calls().size(), takes - p.calls().size(), p.end().aupPages() - p.start().aupPages(),
          p.end().failedCalls() - p.start().failedCalls(), p.minPending()));
    }
    b.append('\n');

    // the end-to-end set
    double floor = s.e2eOutages() * gateMs / 1000.0;
    double strict = ((s.e2eOutages() - 1) * gateMs) / 1000.0;
    if (e2e.done()) {
      double total = e2e.seconds(e2e.lastRedeemed);
      b.append(f("end-to-end, %d outages pushed at once: %.1f s from the first push until all %d claims were REDEEMED "
              + "(floor %d x %.1f s = %.1f s; %+.1f%% against it)%n", s.e2eOutages(), total, s.e2eOutages(),
          s.e2eOutages(), gateMs / 1000.0, floor, 100 * (total / floor - 1)));
      b.append(f("  all %d pushes acknowledged after %.1f s; first REDEEMED after %.1f s; median push-to-REDEEMED per "
              + "claim %.1f s; %d events published for them%n", s.e2eOutages(),
          Duration.between(e2e.firstPush, e2e.allAcked).toMillis() / 1000.0, e2e.seconds(e2e.firstRedeemed),
          e2e.medianClaimSeconds, e2e.events));
      b.append(f("  (the first call needs no wait: the strict floor is %d x %.1f s + one round trip = %.1f s + RTT)%n",
          s.e2eOutages() - 1, gateMs / 1000.0, strict));
      for (Phase p : phases) {
        if (!Double.isNaN(p.replicasAddedAfterPush()) && p.replicasAddedAfterPush() < total) {
          b.append(f("  (replicas went to %d at %.0f s after the first push, ready %.0f s later: this run's set "
              + "spans that change)%n", p.replicas(), p.replicasAddedAfterPush(), p.replicaStartSeconds()));
        }
      }
    } else {
      b.append(f("end-to-end, %d outages: NOT all REDEEMED (%d of %d) when the run ended%n", s.e2eOutages(),
          e2e.redeemed, e2e.claims));
    }
    b.append('\n');

    // the whole run, on the ISO's side and in the database
    IsoStats stats = iso.stats();
    b.append(f("whole run, as the isosim counted it: %d calls, %d violations%n", stats.totalCalls(),
        stats.totalViolations()));
    for (IsoStats.Entry en : stats.entries()) {
      b.append(f("  %s: %d calls, %d accepted, %d violations%n", en.service(), en.calls(), en.accepted(),
          en.violations()));
    }
    long takes = count("SELECT coalesce(sum(calls), 0) FROM aup_gate WHERE service = ?", SERVICE.serviceName());
    long serviceCalls = stats.calls(DevPki.PARTICIPANT_CLIENT_DN, SERVICE);
    b.append(f("  gate taken %d times for %s, %d calls arrived: %d slot(s) taken but not used%n", takes,
        SERVICE.serviceName(), serviceCalls, takes - serviceCalls));
    b.append(f("  claims: %s; DEAD %d; with a counted failed attempt %d%n", claimStates(),
        count("SELECT count(*) FROM claim WHERE state = 'DEAD'"), count("SELECT count(*) FROM claim WHERE attempts > 0")));
    for (int i = 0; i < replicas.size(); i++) {
      String log = replicas.get(i).logText();
      b.append(f("  %s log: %d redeemed, %d 'not sent' (more than margin/2 between taking the gate and sending; slot "
              + "and claim given back), %d AUP pages, %d request timeouts, %d WARN/ERROR lines%n", replicaNames.get(i),
          occurrences(log, "redeemed ("),
          occurrences(log, "not sent:"), occurrences(log, "AUP page from the ISO"),
          occurrencesOnErrorLines(log, "timeout period of"), countLevels(log)));
    }
    String violations = violations();
    if (!violations.isEmpty()) {
      b.append("\nAUP VIOLATIONS (arrival at the isosim; gap to the previous accepted call of the same certificate "
          + "and service, which the AUP measures from; take->arrival is unknown where two takes fell between two "
          + "reads of the sampler):\n").append(violations);
    }
    b.append('\n');

    b.append("targets (reported, not asserted):\n");
    for (Phase p : phases) {
      double used = 100.0 * p.accepted().size() / (p.seconds() * 1000 / interval);
      double steady = 100.0 * p.steadyPerMinute() / allowedPerMinute;
      b.append(f("  %d replica(s): >= 98%% of the budget: %.1f%% (steady %.1f%%)  %s; 0 violations: %d  %s%n",
          p.replicas(), used, steady, used >= 98.0 ? "MET" : steady >= 98.0 ? "MISSED in the window count, MET "
              + "steady" : "MISSED", p.violations(), p.violations() == 0 ? "MET" : "MISSED"));
    }
    b.append(f("  0 violations over the whole run: %d  %s%n", stats.totalViolations(),
        stats.totalViolations() == 0 ? "MET" : "MISSED"));
    b.append(f("  note: a take alone spaces calls %d ms apart (at most %.2f%% of the budget, the 98%% target would "
        + "leave %.0f ms per call for everything else); once the answer is back the gate opens at the answer's "
        + "time + %d ms, "
        + "so the spacing is the interval + the time from the take to the answer + the wake-up%n", gateMs,
        100 * ceiling, Math.max(0, interval / 0.98 - gateMs), interval));
    double[] load = phases.stream().flatMap(p -> Stream.of(p.start().load(), p.end().load()))
        .mapToDouble(RedeemBench::oneMinute).toArray();
    if (Arrays.stream(load).anyMatch(l -> l > rt.availableProcessors())) {
      b.append(f("%nWARNING: the load average exceeded the %d cores during the run (before: %s): other processes "
          + "competed for the CPU, which delays timers and requests; the figures are not those of a quiet machine.%n",
          rt.availableProcessors(), loadBefore));
    }
    b.append(f("%nwhole run: %.0f s%n", totalSeconds));
    return b.toString();
  }

  /** Every violation of the run, with the gaps the ISO saw. */
  private String violations() {
    List<IsoStats.Call> calls = iso.calls();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < calls.size(); i++) {
      IsoStats.Call c = calls.get(i);
      if (c.accepted()) {
        continue;
      }
      long previousAccepted = -1;
      long previousAny = -1;
      IsoStats.Call previousAcceptedCall = null;
      for (int j = i - 1; j >= 0 && previousAccepted < 0; j--) {
        IsoStats.Call o = calls.get(j);
        if (o.service() == c.service() && o.identity().equals(c.identity())) {
          if (previousAny < 0) {
            previousAny = o.arrivalNanos();
          }
          if (o.accepted()) {
            previousAccepted = o.arrivalNanos();
            previousAcceptedCall = o;
          }
        }
      }
      String phase = "between windows";
      for (Phase p : phases) {
        if (p.calls().contains(c)) {
          phase = p.replicas() + " replica(s)";
        }
      }
      IsoStats.Call before = previousAcceptedCall;
      b.append(f("  %s %s (%s): %s after the previous accepted call, %s after the previous call; take->arrival "
              + "of this call %s, of the previous accepted one %s%n", c.arrivedAt(),
          c.service().serviceName(), phase,
          previousAccepted < 0 ? "n/a" : f("%.1f ms", (c.arrivalNanos() - previousAccepted) / 1e6),
          previousAny < 0 ? "n/a" : f("%.1f ms", (c.arrivalNanos() - previousAny) / 1e6),
          c.service() == SERVICE ? ms(gates.delayMs(c)) : "n/a",
          before != null && before.service() == SERVICE ? ms(gates.delayMs(before)) : "n/a"));
    }
    return b.toString();
  }

  private static String ms(double v) {
    // NaN: the take was not seen (an AUP page moved the gate before the sampler read it)
    return Double.isNaN(v) ? "unknown" : f("%.1f ms", v);
  }

  private long gateMillis() {
    return parseMillis(env.getOrDefault("OMS_AUP_INTERVAL", "5s")) + parseMillis(env.getOrDefault("OMS_AUP_MARGIN",
        "100ms"));
  }

  /** The receiver's duration syntax for the common cases (ms, s, m; ISO-8601 too). */
  private static long parseMillis(String v) {
    String t = v.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("pt")) {
        return Duration.parse(t.toUpperCase(Locale.ROOT)).toMillis();
      }
      if (t.endsWith("ms")) {
        return Long.parseLong(t.substring(0, t.length() - 2).strip());
      }
      if (t.endsWith("s")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1).strip()) * 1000);
      }
      if (t.endsWith("m")) {
        return Math.round(Double.parseDouble(t.substring(0, t.length() - 1).strip()) * 60_000);
      }
      return Long.parseLong(t);
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private String claimStates() throws Exception {
    StringBuilder b = new StringBuilder();
    try (Connection c = connect();
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT state, count(*) FROM claim GROUP BY state ORDER BY state")) {
      while (rs.next()) {
        b.append(b.length() == 0 ? "" : ", ").append(rs.getString(1)).append(' ').append(rs.getLong(2));
      }
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ helpers

  private String metrics(ReceiverProcess r) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.opsPort + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build();
      return http.send(req, HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** Sum of a Prometheus series over the label sets naming this service (and outcome, when given). */
  private static double metric(String body, String name, String service, String outcome) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$").matcher(body);
    double sum = 0;
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("service=\"" + service + "\"")
          && (outcome == null || labels.contains("outcome=\"" + outcome + "\""))) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  private static int occurrences(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
      n++;
    }
    return n;
  }

  /** Lines at ERROR level containing the text (Vert.x logs a request's timeout once, at ERROR). */
  private static int occurrencesOnErrorLines(String log, String what) {
    int n = 0;
    for (String line : log.split("\n")) {
      if (line.contains(" ERROR ") && line.contains(what)) {
        n++;
      }
    }
    return n;
  }

  private static int countLevels(String log) {
    int n = 0;
    for (String line : log.split("\n")) {
      if (line.contains(" WARN ") || line.contains(" ERROR ")) {
        n++;
      }
    }
    return n;
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  private long count(String sql, String... args) throws Exception {
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private String serverVersion() throws Exception {
    try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  private static double oneMinute(String loadAverage) {
    try {
      return Double.parseDouble(loadAverage.split(" ")[0]);
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private static String memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return f("%.1f GiB RAM", Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "RAM n/a";
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort
        }
      });
    } catch (IOException e) {
      // best effort
    }
  }
}
