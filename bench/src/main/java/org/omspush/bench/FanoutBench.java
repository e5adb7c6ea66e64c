package org.omspush.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.DevEnvironment;
import org.omspush.receiver.config.SecretsConfig;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;
import org.omspush.store.secrets.SecretKeys;

/**
 * The fan-out benchmark (bench/fanout.sh): one embedded Postgres; the receiver jar in its own
 * JVM on it; {@code n} local subscribers registered for {@code market.event} through the admin
 * API; signed market-event pushes without a claim check at a fixed rate (push → delivery
 * latency at each subscriber), the same subscribers hit directly by a load tool (the baseline),
 * then pushes as fast as they go (the deliveries/s the fan-out sustains). Prints one table and
 * writes it to bench/results/fanout-DATE.txt. It measures and reports against the targets; it
 * never fails on a number.
 */
public final class FanoutBench {
  /** Connections of the fixed-rate load generator (an open loop: a push waits for one only when all are busy). */
  private static final int PUSH_CONNECTIONS = 32;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm");

  private final FanoutBenchSettings s;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Path work;

  private FanoutBench(FanoutBenchSettings settings) {
    this.s = settings;
  }

  public static void main(String[] args) {
    int status;
    try {
      status = new FanoutBench(FanoutBenchSettings.fromEnvironment(args)).run();
    } catch (Exception e) {
      System.err.println("bench failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private static void say(String line) {
    System.err.println("[fanout " + LocalDateTime.now().toLocalTime().withNano(0) + "] " + line);
  }

  /** CPU use during a phase, percent of one core: receiver, postgres, benchmark JVM, everything else. */
  record CpuUse(double receiver, double postgres, double bench, double other) {
    static CpuUse of(double[] pct) {
      return new CpuUse(pct[0], pct[1], pct[2], pct[3] - pct[0] - pct[1] - pct[2]);
    }

    String text() {
      return String.format(Locale.ROOT, "%3.0f / %3.0f / %3.0f / %3.0f", receiver, postgres, bench, other);
    }
  }

  /** The fixed-rate phase, analysed over the events due in its measured window. */
  record Fixed(int events, int accepted, Map<Integer, Integer> errors, long expected, long delivered, long missing,
      long duplicates, double deliveriesPerSecond, double eventsPerSecond, long[] e2e, long[] ack, long[] afterAck,
      long[] spread, CpuUse cpu, String load, double receiverMeanMs, Map<String, Double> outcomes,
      Map<String, Integer> failures) {}

  /** The max-throughput phase. */
  record Max(int concurrency, double pushSeconds, int accepted, Map<Integer, Integer> errors, boolean ranOut,
      long deliveredWhilePushing, long deliveredAfter, double drainSeconds, long missing, long duplicates,
      long backlogAtEnd, double overallSeconds, long[] e2e, CpuUse cpuPushing, CpuUse cpuDraining, String load,
      Map<String, Double> outcomes, Map<String, Integer> failures) {
    double pushesPerSecond() {
      return accepted / pushSeconds;
    }

    double whilePushing() {
      return deliveredWhilePushing / pushSeconds;
    }

    double drainRate() {
      return drainSeconds > 0 ? deliveredAfter / drainSeconds : Double.NaN;
    }

    double overall() {
      return (deliveredWhilePushing + deliveredAfter) / overallSeconds;
    }
  }

  private String loadBefore;
  private String pgVersion;
  private List<String> jvm;
  private Map<String, String> env;
  private int envelopeBytes;
  private double signMs;
  private int signaturesValid = -1;
  private String signatureNote = "";
  private int maxInFlight;
  private String warmNote = "";
  private Fixed fixed;
  private final List<FanoutDirect.Result> direct = new ArrayList<>();
  private final Map<String, CpuUse> directCpu = new LinkedHashMap<>();
  private final Map<String, String> directLoad = new LinkedHashMap<>();
  private String directSkipped = "";
  private Max max;
  private FanoutFloor.Result floor;
  private CpuUse floorCpu;
  private String floorLoad;
  private String floorNote = "";
  private String receiverLogSummary = "";
  private DatabaseUrl dbUrl;
  private final Map<String, Long> discarded = new LinkedHashMap<>();

  private int run() throws Exception {
    long began = System.nanoTime();
    work = Files.createTempDirectory("oms-fanout-bench-");
    boolean ok = false;
    ReceiverProcess[] current = new ReceiverProcess[1];
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (current[0] != null) {
        current[0].close();
      }
    }, "fanout-bench-cleanup"));
    loadBefore = loadAverage();
    say("work directory " + work + "; load average " + loadBefore);
    DevPki pki = DevPki.generate(work.resolve("pki"));
    try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("db"), s.pgPort());
        FanoutPushes pushes = new FanoutPushes(pki);
        FanoutSubscribers subs = new FanoutSubscribers(s.subscribers(), pushes.marker())) {
      DatabaseUrl url = db.url();
      dbUrl = url;
      Migrations.migrate(url);
      pgVersion = serverVersion(url);
      say("embedded PostgreSQL " + pgVersion + " on 127.0.0.1:" + db.port() + " (fsync on, synchronous_commit on)");
      LongSupplier pgCpu = Cpu.postgres(db.dataDirectory());
      LongSupplier selfCpu = () -> Cpu.nanos(ProcessHandle.current());

      // the receiver, as deployed
      env = new LinkedHashMap<>(DevEnvironment.of(pki));
      env.put("OMS_DATABASE_URL", "postgresql://" + url.user() + "@" + url.host() + ":" + url.port() + "/"
          + url.database());
      int adminPort = freePort();
      env.put("OMS_ADMIN_PORT", Integer.toString(adminPort));
      env.putAll(s.receiverOverrides());
      List<String> options = new java.util.ArrayList<>();
      options.add("-Xmx" + s.receiverHeap());
      options.addAll(s.receiverJvmOptions());
      jvm = List.copyOf(options);
      say("starting the receiver (" + String.join(" ", jvm) + ")");
      ReceiverProcess receiver = ReceiverProcess.start(s.receiverJar(), jvm, env, work.resolve("receiver.log"));
      current[0] = receiver;
      String pushUrl = "https://127.0.0.1:" + receiver.pushPort + "/iso/v1/push";
      LongSupplier[] counters = {receiver::cpuNanos, pgCpu, selfCpu, Cpu::machine};

      // the subscribers, through the admin API as an operator's script would
      List<String> secrets = register(adminPort, env.get("OMS_ADMIN_TOKEN"), subs);
      say(s.subscribers() + " subscribers registered for market.event (maxInFlight " + maxInFlight + " each)");

      // 1. JIT warm-up at the fixed rate (a closed loop here would leave a backlog behind), then all delivered
      if (s.jitWarmupSeconds() > 0 && s.rate() > 0) {
        int pool = s.rate() * s.jitWarmupSeconds();
        long t0 = System.nanoTime();
        List<byte[]> warm = pushes.sign('w', pool);
        signMs = (System.nanoTime() - t0) / 1e6 / pool;
        envelopeBytes = warm.get(0).length;
        say(f("signed %d market events: %.2f ms each on %d threads (%d bytes each)", pool, signMs,
            Runtime.getRuntime().availableProcessors(), envelopeBytes));
        FanoutSubscribers.Phase wp = subs.phase('w', pool);
        say("JIT warm-up: " + s.rate() + " events/s for " + s.jitWarmupSeconds() + " s");
        FanoutPushes.Sent w = pushes.fixedRate(pushUrl, warm, s.rate(), PUSH_CONNECTIONS);
        if (w.accepted() == 0) {
          throw new IllegalStateException("the receiver accepted nothing in the warm-up: answers " + w.errors()
              + " " + w.failures + "\n" + receiver.logTail(40));
        }
        long expected = (long) w.accepted() * s.subscribers();
        boolean all = awaitDeliveries(wp, expected);
        warmNote = f("%d of %d deliveries made%s, the last %.1f s after the last push", wp.firsts.get(), expected,
            all ? "" : " (gave up waiting)", (wp.lastArrival.get() - w.end) / 1e9);
        say("warm-up: " + warmNote);
        if (!all) {
          discardBacklog("warm-up");
        }
      }
      verifySignatures(subs, secrets);
      say("signatures on the first delivery of each subscriber: " + signaturesValid + "/" + s.subscribers()
          + " valid" + signatureNote);

      // 2. fixed rate
      if (s.rate() > 0 && s.measureSeconds() > 0) {
        fixed = fixedRate(pushes, subs, receiver, pushUrl, counters);
      }

      // 3. the baseline: the same subscribers hit directly
      if (s.directSeconds() > 0) {
        runDirect(subs, counters, pushes.marker());
      }

      // 4. as fast as the pushes go
      if (s.maxSeconds() > 0) {
        max = maxThroughput(pushes, subs, receiver, pushUrl, counters);
      }

      receiverLogSummary = logSummary(receiver.logText());
      receiver.close();
      current[0] = null;

      // 5. the fan-out's database work alone, on the same Postgres, the receiver stopped
      if (s.floorDeliveries() > 0) {
        floor(url, new LongSupplier[] {() -> 0L, pgCpu, selfCpu, Cpu::machine});
      }

      String report = report((System.nanoTime() - began) / 1e9);
      System.out.println();
      System.out.print(report);
      Files.createDirectories(s.resultsDir());
      Path file = s.resultsDir().resolve("fanout-" + STAMP.format(LocalDateTime.now()) + ".txt");
      Files.writeString(file, report, StandardCharsets.UTF_8);
      say("written to " + file);
      ok = true;
    } finally {
      if (current[0] != null) {
        current[0].close();
      }
      if (ok && !s.keep()) {
        deleteTree(work);
      } else {
        say("kept " + work + " (logs, PKI, database)");
      }
    }
    return 0;
  }

  // ---------------------------------------------------------------- phases

  private Fixed fixedRate(FanoutPushes pushes, FanoutSubscribers subs, ReceiverProcess receiver, String pushUrl,
      LongSupplier[] counters) throws Exception {
    int n = s.rate() * (s.warmupSeconds() + s.measureSeconds());
    List<byte[]> envelopes = pushes.sign('r', n);
    if (envelopeBytes == 0) {
      envelopeBytes = envelopes.get(0).length;
    }
    FanoutSubscribers.Phase p = subs.phase('r', n);
    System.gc();
    String load = loadAverage();
    say("fixed rate: " + s.rate() + " events/s, " + s.warmupSeconds() + " s warm-up + " + s.measureSeconds()
        + " s measured (load average " + load + ")");
    Map<String, Double> out0 = outcomes(receiver);
    double cnt0 = receiver.metric("oms_fanout_delivery_latency_seconds_count");
    double sum0 = receiver.metric("oms_fanout_delivery_latency_seconds_sum");
    Cpu.Snapshot before = Cpu.Snapshot.take(counters);
    FanoutPushes.Sent sent = pushes.fixedRate(pushUrl, envelopes, s.rate(), PUSH_CONNECTIONS);
    boolean all = awaitDeliveries(p, (long) sent.accepted() * s.subscribers());
    CpuUse cpu = CpuUse.of(Cpu.Snapshot.take(counters).since(before));
    if (!all) {
      discardBacklog("fixed-rate phase");
    }
    double cnt1 = receiver.metric("oms_fanout_delivery_latency_seconds_count");
    double sum1 = receiver.metric("oms_fanout_delivery_latency_seconds_sum");
    Map<String, Double> outcomes = delta(out0, outcomes(receiver));

    long ws = sent.start + s.warmupSeconds() * 1_000_000_000L;
    long we = ws + s.measureSeconds() * 1_000_000_000L;
    int events = 0;
    int accepted = 0;
    Map<Integer, Integer> errors = new java.util.TreeMap<>();
    LongList e2e = new LongList();
    LongList ack = new LongList();
    LongList afterAck = new LongList();
    LongList spread = new LongList();
    long missing = 0;
    for (int i = 0; i < n; i++) {
      if (sent.due[i] < ws || sent.due[i] >= we) {
        continue;
      }
      events++;
      if (sent.status[i] != 200) {
        errors.merge(sent.done[i] == 0 ? 0 : sent.status[i], 1, Integer::sum);
        continue;
      }
      accepted++;
      ack.add(sent.done[i] - sent.due[i]);
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      boolean complete = true;
      for (int sub = 0; sub < s.subscribers(); sub++) {
        long r = p.arrived[sub][i];
        if (r == 0) {
          missing++;
          complete = false;
          e2e.add(NEVER); // not delivered by the end of the wait: counts as infinitely late
          afterAck.add(NEVER);
          continue;
        }
        e2e.add(r - sent.due[i]);
        afterAck.add(r - sent.done[i]);
        first = Math.min(first, r);
        last = Math.max(last, r);
      }
      if (complete) {
        spread.add(last - first);
      }
    }
    long inWindow = 0;
    for (int sub = 0; sub < s.subscribers(); sub++) {
      for (long r : p.arrived[sub]) {
        if (r >= ws && r < we) {
          inWindow++;
        }
      }
    }
    int acceptedInWindowByAnswer = 0;
    for (int i = 0; i < n; i++) {
      if (sent.status[i] == 200 && sent.done[i] >= ws && sent.done[i] < we) {
        acceptedInWindowByAnswer++;
      }
    }
    if (s.trace() != null) {
      long wsEpochMs = System.currentTimeMillis() - (System.nanoTime() - ws) / 1_000_000;
      StringBuilder t = new StringBuilder(f("# window start %s%npush,due_ms,ack_ms,first_ms,last_ms%n",
          java.time.Instant.ofEpochMilli(wsEpochMs)));
      for (int i = 0; i < n; i++) {
        if (sent.due[i] < ws || sent.due[i] >= we || sent.status[i] != 200) {
          continue;
        }
        long first = Long.MAX_VALUE;
        long last = 0;
        for (int sub = 0; sub < s.subscribers(); sub++) {
          long r = p.arrived[sub][i];
          if (r != 0) {
            first = Math.min(first, r);
            last = Math.max(last, r);
          }
        }
        t.append(f("%d,%.1f,%.1f,%.1f,%.1f%n", i, (sent.due[i] - ws) / 1e6, (sent.done[i] - sent.due[i]) / 1e6,
            (first - sent.due[i]) / 1e6, (last - sent.due[i]) / 1e6));
      }
      java.nio.file.Files.writeString(s.trace(), t);
    }
    Fixed result = new Fixed(events, accepted, errors, (long) accepted * s.subscribers(), e2e.size() - missing, missing,
        p.duplicates.sum(), inWindow / (double) s.measureSeconds(),
        acceptedInWindowByAnswer / (double) s.measureSeconds(), e2e.sorted(), ack.sorted(), afterAck.sorted(),
        spread.sorted(), cpu, load, (sum1 - sum0) / (cnt1 - cnt0) * 1000, outcomes, Map.copyOf(sent.failures));
    say(f("fixed rate: %.0f events/s accepted, %.0f deliveries/s; push -> delivery p50 %.1f ms, p99 %.1f ms, "
        + "max %.1f ms; push ack p50 %.1f ms, p99 %.1f ms; missing %d%s; CPU rx/pg/bench/other %s",
        result.eventsPerSecond(), result.deliveriesPerSecond(), ms(result.e2e(), 0.5), ms(result.e2e(), 0.99),
        ms(result.e2e(), 1.0), ms(result.ack(), 0.5), ms(result.ack(), 0.99), missing,
        all ? "" : " (gave up waiting)", cpu.text()));
    return result;
  }

  private void runDirect(FanoutSubscribers subs, LongSupplier[] counters, String marker) throws Exception {
    FanoutSubscribers.Sample sample = subs.firstSample(0);
    if (sample == null) {
      directSkipped = "no delivery was received, so there is no body to replay";
      return;
    }
    byte[] body = FanoutDirect.unmarked(sample.body(), marker);
    Map<String, String> headers = FanoutDirect.headers(sample.headers());
    boolean wantWrk = !s.directTool().equals("vertx");
    boolean wantVertx = !s.directTool().equals("wrk");
    if (wantWrk) {
      if (Files.isExecutable(s.wrk())) {
        String load = loadAverage();
        say("direct baseline: " + FanoutDirect.wrkVersion(s.wrk()) + ", " + s.subscribers() + " processes x "
            + s.directConnections() + " connections, " + s.directSeconds() + " s (load average " + load + ")");
        Cpu.Snapshot before = Cpu.Snapshot.take(counters);
        FanoutDirect.Result r = FanoutDirect.wrk(s.wrk(), subs, body, headers, s.directConnections(),
            s.directSeconds(), work);
        directCpu.put(r.tool(), CpuUse.of(Cpu.Snapshot.take(counters).since(before)));
        directLoad.put(r.tool(), load);
        direct.add(r);
        say(f("wrk: %.0f requests/s (subscribers counted %.0f/s), p50 %.2f ms, p99 %.2f ms, errors %d %s", r.perSecond(),
            r.subscriberPerSecond(), r.p50Ms(), r.p99Ms(), r.errors(), r.note()));
      } else {
        directSkipped = s.wrk() + " is missing (bench/fanout.sh installs it with apt-get when it can)";
        say("direct baseline: " + directSkipped);
      }
    }
    if (wantVertx) {
      Thread.sleep(2000);
      String load = loadAverage();
      say("direct baseline: Vert.x HTTP client in this JVM, " + s.subscribers() + " subscribers x "
          + s.directConnections() + " connections, " + s.directSeconds() + " s (load average " + load + ")");
      Cpu.Snapshot before = Cpu.Snapshot.take(counters);
      FanoutDirect.Result r = FanoutDirect.vertx(subs, body, headers, s.directConnections(), s.directSeconds());
      directCpu.put(r.tool(), CpuUse.of(Cpu.Snapshot.take(counters).since(before)));
      directLoad.put(r.tool(), load);
      direct.add(r);
      say(f("Vert.x client: %.0f requests/s (subscribers counted %.0f/s), p50 %.2f ms, p99 %.2f ms, errors %d",
          r.perSecond(), r.subscriberPerSecond(), r.p50Ms(), r.p99Ms(), r.errors()));
    }
  }

  private Max maxThroughput(FanoutPushes pushes, FanoutSubscribers subs, ReceiverProcess receiver, String pushUrl,
      LongSupplier[] counters) throws Exception {
    int n = s.maxPool();
    say("signing " + n + " market events for the max-throughput phase");
    List<byte[]> envelopes = pushes.sign('m', n);
    FanoutSubscribers.Phase p = subs.phase('m', n);
    System.gc();
    Thread.sleep(1000);
    String load = loadAverage();
    say("max throughput: closed loop at concurrency " + s.maxConcurrency() + " for " + s.maxSeconds()
        + " s, then until everything is delivered (load average " + load + ")");
    Map<String, Double> out0 = outcomes(receiver);
    Cpu.Snapshot before = Cpu.Snapshot.take(counters);
    FanoutPushes.Sent sent = pushes.closedLoop(pushUrl, envelopes, s.maxConcurrency(),
        Duration.ofSeconds(s.maxSeconds()));
    Cpu.Snapshot pushed = Cpu.Snapshot.take(counters);
    long backlogAtEnd = (long) sent.accepted() * s.subscribers() - p.firsts.get();
    say(f("pushes: %.0f/s accepted%s; %d deliveries not made yet; waiting", sent.accepted() / ((sent.end - sent.start)
        / 1e9), sent.ranOut ? " (ran out of pre-signed pushes)" : "", backlogAtEnd));
    boolean all = awaitDeliveries(p, (long) sent.accepted() * s.subscribers());
    Cpu.Snapshot drained = Cpu.Snapshot.take(counters);
    Map<String, Double> outcomes = delta(out0, outcomes(receiver));
    long whilePushing = 0;
    long after = 0;
    LongList e2e = new LongList();
    for (int sub = 0; sub < s.subscribers(); sub++) {
      for (int i = 0; i < sent.sent; i++) {
        long r = p.arrived[sub][i];
        if (r == 0) {
          if (sent.status[i] == 200) {
            e2e.add(NEVER);
          }
          continue;
        }
        if (r < sent.end) {
          whilePushing++;
        } else {
          after++;
        }
        e2e.add(r - sent.due[i]);
      }
    }
    long last = Math.max(p.lastArrival.get(), sent.end);
    long expected = (long) sent.accepted() * s.subscribers();
    Max m = new Max(s.maxConcurrency(), (sent.end - sent.start) / 1e9, sent.accepted(), sent.errors(), sent.ranOut,
        whilePushing, after, (last - sent.end) / 1e9, expected - (whilePushing + after), p.duplicates.sum(),
        backlogAtEnd, (last - sent.start) / 1e9, e2e.sorted(), CpuUse.of(pushed.since(before)),
        CpuUse.of(drained.since(pushed)), load, outcomes, Map.copyOf(sent.failures));
    say(f("max: %.0f pushes/s; deliveries %.0f/s while pushing, %.0f/s draining (%.1f s), %.0f/s overall; "
        + "missing %d%s", m.pushesPerSecond(), m.whilePushing(), m.drainRate(), m.drainSeconds(), m.overall(),
        m.missing(), all ? "" : " (gave up waiting)"));
    return m;
  }

  private void floor(DatabaseUrl url, LongSupplier[] counters) throws Exception {
    long backlog = FanoutFloor.prepare(url, s.floorDeliveries(), s.floorVacuum());
    if (backlog == 0) {
      floorNote = "no delivered deliveries to replay";
      return;
    }
    System.gc();
    floorLoad = loadAverage();
    say("database floor: the receiver's claim and DELIVERED statements on " + backlog
        + " due deliveries, no HTTP, the receiver stopped (load average " + floorLoad + ")");
    Cpu.Snapshot before = Cpu.Snapshot.take(counters);
    // the receiver's own sealing key: the subscribers' secrets were sealed with it, and a claim
    // leaves out a subscriber whose secret does not open (with another key the floor claimed nothing)
    SecretKeys keys = SecretKeys.of(SecretsConfig.read(SecretsConfig.KEY_FILE, Path.of(env.get(SecretsConfig.KEY_FILE))));
    floor = FanoutFloor.drain(url, keys, backlog, poolSize(), s.drainSeconds());
    floorCpu = CpuUse.of(Cpu.Snapshot.take(counters).since(before));
    say(f("database floor: %d of %d recorded in %.1f s, %.0f deliveries/s, %d claims; CPU pg %.0f%%",
        floor.recorded(), backlog, floor.seconds(), floor.perSecond(), floor.claims(), floorCpu.postgres()));
  }

  private int poolSize() {
    return Integer.parseInt(env.getOrDefault("OMS_DB_POOL_SIZE", "16"));
  }

  /**
   * Waits until the phase has {@code expected} first arrivals; gives up after BENCH_DRAIN_SECONDS or
   * 30 s without progress. Returns whether all came.
   */
  private boolean awaitDeliveries(FanoutSubscribers.Phase p, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + s.drainSeconds() * 1_000_000_000L;
    long seen = -1;
    long progressAt = System.nanoTime();
    while (p.firsts.get() < expected) {
      long now = System.nanoTime();
      long got = p.firsts.get();
      if (got != seen) {
        seen = got;
        progressAt = now;
      }
      if (now > deadline || now - progressAt > 30_000_000_000L) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /**
   * Ends a phase whose deliveries did not all come within the wait: what is still pending is
   * marked SKIPPED in the receiver's database, so that the next phase starts from an empty queue
   * (and measures itself, not the tail of the last one). Returns how many were discarded.
   */
  private long discardBacklog(String phase) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(dbUrl.jdbcUrl(), dbUrl.user(), dbUrl.password());
        java.sql.Statement st = c.createStatement()) {
      long n = st.executeUpdate("UPDATE delivery SET state = 'SKIPPED', lease_owner = NULL, lease_until = NULL, "
          + "last_error = 'discarded by the fan-out benchmark', updated_at = now() WHERE state = 'PENDING'");
      if (n > 0) {
        discarded.put(phase, n);
        say("discarded " + n + " pending deliveries of the " + phase + " so that the next phase starts from an empty queue");
      }
      return n;
    }
  }

  // ---------------------------------------------------------------- subscribers

  private List<String> register(int adminPort, String token, FanoutSubscribers subs) throws Exception {
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < subs.size(); i++) {
      JsonObject body = new JsonObject().put("url", subs.url(i)).put("description", "fan-out benchmark subscriber " + i)
          .put("eventTypes", new JsonArray().add("market.event"));
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/v1/subscribers"))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
      HttpResponse<String> resp = sendWhenListening(req);
      if (resp.statusCode() != 201) {
        throw new IllegalStateException("POST /api/v1/subscribers answered " + resp.statusCode() + ": " + resp.body());
      }
      JsonObject created = new JsonObject(resp.body());
      secrets.add(created.getString("secret"));
      maxInFlight = created.getInteger("maxInFlight", -1);
    }
    return secrets;
  }

  /** /health/ready does not wait for the admin port (it opens after the push port): retries a refused connection. */
  private HttpResponse<String> sendWhenListening(HttpRequest req) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try {
        return http.send(req, HttpResponse.BodyHandlers.ofString());
      } catch (java.net.ConnectException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** Checks the first delivery of each subscriber: CloudEvents shape and its Standard Webhooks signature. */
  private void verifySignatures(FanoutSubscribers subs, List<String> secrets) {
    int valid = 0;
    StringBuilder note = new StringBuilder();
    for (int i = 0; i < subs.size(); i++) {
      FanoutSubscribers.Sample sample = subs.firstSample(i);
      if (sample == null) {
        note.append(" subscriber ").append(i).append(": nothing received;");
        continue;
      }
      try {
        String id = sample.headers().get("webhook-id");
        String ts = sample.headers().get("webhook-timestamp");
        String sig = sample.headers().get("webhook-signature");
        String secret = secrets.get(i);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
        String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(sample.body()));
        JsonObject ce = new JsonObject(new String(sample.body(), StandardCharsets.UTF_8));
        boolean shape = "1.0".equals(ce.getString("specversion")) && ce.getString("type", "").endsWith(".market.event")
            && sample.headers().get("Content-Type").startsWith("application/cloudevents+json");
        if (sig != null && Arrays.asList(sig.split(" ")).contains(expected) && shape) {
          valid++;
        } else {
          note.append(" subscriber ").append(i).append(shape ? ": bad signature;" : ": not a market.event CloudEvent;");
        }
      } catch (Exception e) {
        note.append(" subscriber ").append(i).append(": ").append(e).append(';');
      }
    }
    signaturesValid = valid;
    signatureNote = note.toString();
  }

  // ---------------------------------------------------------------- receiver metrics and log

  private Map<String, Double> outcomes(ReceiverProcess receiver) {
    Map<String, Double> m = new java.util.TreeMap<>();
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.opsPort + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build();
      String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
      Matcher x = Pattern.compile("(?m)^oms_fanout_deliveries_total\\{[^}]*outcome=\"([a-z_]+)\"[^}]*\\} ([0-9.eE+-]+)$")
          .matcher(body);
      while (x.find()) {
        m.merge(x.group(1), Double.parseDouble(x.group(2)), Double::sum);
      }
    } catch (IOException e) {
      // no metrics: reported as none
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return m;
  }

  private static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Double> d = new java.util.TreeMap<>();
    after.forEach((k, v) -> {
      double x = v - before.getOrDefault(k, 0.0);
      if (x != 0) {
        d.put(k, x);
      }
    });
    return d;
  }

  private static String logSummary(String log) {
    long warn = 0;
    long error = 0;
    StringBuilder first = new StringBuilder();
    int shown = 0;
    for (String line : log.split("\n")) {
      boolean w = line.contains(" WARN ");
      boolean e = line.contains(" ERROR ") || line.contains("OutOfMemoryError");
      if (w) {
        warn++;
      }
      if (e) {
        error++;
      }
      if ((w || e) && shown < 5) {
        first.append("    ").append(line.length() > 220 ? line.substring(0, 220) + "…" : line).append('\n');
        shown++;
      }
    }
    return warn + error == 0 ? "" : f("receiver log: %d WARN, %d ERROR lines; the first:%n%s", warn, error, first);
  }

  // ---------------------------------------------------------------- the report

  private String report(double totalSeconds) {
    StringBuilder b = new StringBuilder();
    Runtime rt = Runtime.getRuntime();
    b.append(f("OMS push receiver: fan-out benchmark, %s UTC%n",
        LocalDateTime.now(ZoneOffset.UTC).withNano(0).toString().replace('T', ' ')));
    b.append(f("machine: %d cores, %s, %s %s, Java %s; load average before %s, after %s%n", rt.availableProcessors(),
        memTotal(), System.getProperty("os.name"), System.getProperty("os.version"),
        System.getProperty("java.version"), loadBefore, loadAverage()));
    b.append(f("database: embedded PostgreSQL %s (zonky), fsync on, synchronous_commit on "
        + "(ingest durable; the delivery bookkeeping sets it off per transaction)%n", pgVersion));
    b.append(f("receiver: java %s -jar %s serve; OMS_DELIVERY_POLL_INTERVAL=%s OMS_SUBSCRIBER_CONCURRENCY=%s "
        + "OMS_DELIVERY_MAX_IN_FLIGHT=%s OMS_DB_POOL_SIZE=%s OMS_LOG_LEVEL=%s; wake-up: the receiver's own worker "
        + "in-process at commit, NOTIFY oms_event for other replicas (at once, then at most once more per 100 ms)%n", String.join(" ", jvm),
        s.receiverJarLabel(),
        env.getOrDefault("OMS_DELIVERY_POLL_INTERVAL", "250ms (default)"),
        env.getOrDefault("OMS_SUBSCRIBER_CONCURRENCY", "4 (default)"),
        env.getOrDefault("OMS_DELIVERY_MAX_IN_FLIGHT", "256 (default)"),
        env.getOrDefault("OMS_DB_POOL_SIZE", "16 (default)"), env.get("OMS_LOG_LEVEL")));
    b.append(f("subscribers: %d Vert.x HTTP/1.1 servers on 127.0.0.1 in the benchmark JVM, 204 at once; registered "
        + "with POST /api/v1/subscribers for market.event (maxInFlight %d each); first delivery of each checked "
        + "(CloudEvents type, Standard Webhooks signature): %d/%d valid%s%n", s.subscribers(), maxInFlight,
        signaturesValid, s.subscribers(), signatureNote));
    b.append(f("pushes: receiveMarketEvent_v1 without a claim check, RSA-SHA256 WS-Security, %d bytes, signed "
        + "beforehand (%.2f ms each); mTLS, HTTP/1.1 keep-alive; load generator and subscribers share the machine%n",
        envelopeBytes, signMs));
    b.append(f("warm-up: %d events/s for %d s, then waiting for its deliveries: %s%n", s.rate(), s.jitWarmupSeconds(),
        warmNote));
    b.append(f("direct baseline: the body and headers of a real delivery, POSTed to each subscriber over %d keep-alive "
        + "connections (the receiver's per-subscriber limit), closed loop%n", s.directConnections()));
    b.append("latency: push -> delivery = from the push's scheduled send time (open loop, no coordinated "
        + "omission) to the subscriber receiving the request, one sample per delivery\n");
    b.append(f("lost: a delivery that had not arrived when the wait ended (%d s at most, or 30 s without any "
        + "delivery); it counts as infinitely late%n", s.drainSeconds()));
    b.append("CPU: percent of one core during the phase: receiver / postgres / benchmark JVM (pushes and "
        + "subscribers) / everything else (wrk included)\n\n");

    b.append(f("%-44s | %9s | %12s | %8s | %8s | %8s | %8s | %-23s | %s%n", "phase", "events/s", "deliveries/s",
        "p50 ms", "p99 ms", "p99.9 ms", "max ms", "CPU rx / pg / bench / other", "load avg"));
    b.append("-".repeat(150)).append('\n');
    if (fixed != null) {
      b.append(f("%-44s | %9.0f | %12.0f | %s | %-27s | %s%n",
          f("fixed %d events/s, %d s: push -> delivery", s.rate(), s.measureSeconds()), fixed.eventsPerSecond(),
          fixed.deliveriesPerSecond(), lats(fixed.e2e(), 1), fixed.cpu().text(), fixed.load()));
      b.append(f("%-44s | %9s | %12s | %s |%n", "  of which push -> 200 (ingest)", "", "", lats(fixed.ack(), 1)));
      b.append(f("%-44s | %9s | %12s | %s |%n", "  of which 200 -> delivery (fan-out)", "", "",
          lats(fixed.afterAck(), 1)));
      b.append(f("%-44s | %9s | %12s | %s |%n", "  first -> last subscriber, per event", "", "",
          lats(fixed.spread(), 1)));
    }
    for (FanoutDirect.Result r : direct) {
      b.append(f("%-44s | %9s | %12.0f | %8.2f | %8.2f | %8s | %8s | %-27s | %s%n",
          f("direct: %s, %dx%d conns, %d s", r.tool(), s.subscribers(), r.connections(), (int) r.seconds()), "-",
          r.perSecond(), r.p50Ms(), r.p99Ms(), "", "", directCpu.get(r.tool()).text(), directLoad.get(r.tool())));
    }
    if (max != null) {
      b.append(f("%-44s | %9.0f | %12.0f | %s | %-27s | %s%n",
          f("max, closed loop c=%d, %.0f s: while pushing", max.concurrency(), max.pushSeconds()),
          max.pushesPerSecond(), max.whilePushing(), lats(max.e2e(), 0), max.cpuPushing().text(), max.load()));
      b.append(f("%-44s | %9s | %12.0f | %8s | %8s | %8s | %8s | %-27s |%n",
          f("  then draining the backlog (%.1f s)", max.drainSeconds()), "-", max.drainRate(), "", "", "", "",
          max.cpuDraining().text()));
      b.append(f("%-44s | %9s | %12.0f |%n", f("  overall (first push -> last delivery, %.0f s)", max.overallSeconds()),
          "", max.overall()));
    }
    if (floor != null) {
      b.append(f("%-44s | %9s | %12.0f | %8s | %8s | %8s | %8s | %-27s | %s%n",
          "database floor: claim + DELIVERED, no HTTP", "-", floor.perSecond(), "", "", "", "", floorCpu.text(),
          floorLoad));
    }
    b.append('\n');
    if (fixed != null) {
      b.append(f("fixed rate: %d events due in the window, %d accepted (other answers %s), %d of %d deliveries "
          + "arrived, %d missing, %d duplicates; receiver's own mean event created -> 2xx %.1f ms "
          + "(oms_fanout_delivery_latency); receiver outcomes %s%n", fixed.events(), fixed.accepted(),
          fixed.errors().isEmpty() ? "none" : fixed.errors(), fixed.delivered(), fixed.expected(), fixed.missing(),
          fixed.duplicates(), fixed.receiverMeanMs(), fixed.outcomes()));
      if (!fixed.failures().isEmpty()) {
        b.append("  pushes without an answer: ").append(fixed.failures()).append('\n');
      }
      b.append("push -> delivery, share of deliveries: ").append(histogram(fixed.e2e())).append('\n');
      b.append("200 -> delivery, share of deliveries:  ").append(histogram(fixed.afterAck())).append('\n');
    }
    for (FanoutDirect.Result r : direct) {
      b.append(f("direct %s: %d requests, %.0f/s as the tool counts, %.0f/s as the subscribers counted, errors %d%s%n",
          r.tool(), r.requests(), r.perSecond(), r.subscriberPerSecond(), r.errors(),
          r.tool().equals("wrk") ? " (p50/p99: the worst of the " + s.subscribers() + " wrk processes)" : ""));
      if (!r.note().isEmpty()) {
        b.append("  ").append(r.note()).append('\n');
      }
    }
    if (!directSkipped.isEmpty()) {
      b.append("direct baseline skipped: ").append(directSkipped).append('\n');
    }
    if (max != null) {
      b.append(f("max: %d pushes accepted (other answers %s)%s; %d deliveries still to make when the pushes stopped; "
          + "%d missing, %d duplicates; receiver outcomes %s%n", max.accepted(),
          max.errors().isEmpty() ? "none" : max.errors(), max.ranOut() ? " [ran out of pre-signed pushes]" : "",
          max.backlogAtEnd(), max.missing(), max.duplicates(), max.outcomes()));
      if (!max.failures().isEmpty()) {
        b.append("  pushes without an answer: ").append(max.failures()).append('\n');
      }
    }
    if (floor != null) {
      b.append(f("database floor: the receiver stopped, %d delivered deliveries made due again%s, "
          + "then drained by the receiver's own DeliveryStore (claim: lock subscribers, secrets, supersession, claim; "
          + "then one DELIVERED statement per claim) in one loop, as one worker without HTTP: %d recorded in %.1f s, "
          + "%d claims%n", floor.backlog(), s.floorVacuum() ? " and the table vacuumed" : " (table not vacuumed: BENCH_FLOOR_VACUUM=0)", floor.recorded(), floor.seconds(), floor.claims()));
    } else if (!floorNote.isEmpty()) {
      b.append("database floor skipped: ").append(floorNote).append('\n');
    }
    if (!discarded.isEmpty()) {
      b.append("not delivered within the wait, discarded before the next phase (marked SKIPPED in the database): ")
          .append(discarded).append('\n');
    }
    b.append('\n');
    b.append("targets (reported, not asserted):\n");
    if (fixed != null) {
      double p99 = ms(fixed.e2e(), 0.99);
      int failedPushes = fixed.errors().values().stream().mapToInt(Integer::intValue).sum();
      String notes = (fixed.missing() > 0 ? f("; %d deliveries lost", fixed.missing()) : "")
          + (failedPushes > 0 ? f("; %d of %d pushes not accepted", failedPushes, fixed.events()) : "")
          + (fixed.deliveriesPerSecond() < 0.97 * s.rate() * s.subscribers()
              ? f("; only %.0f of %d deliveries/s made in the window", fixed.deliveriesPerSecond(),
                  s.rate() * s.subscribers()) : "");
      String p99Text = lat(fixed.e2e(), 0.99, 1).strip();
      b.append(f("  p99 push -> delivery <= 50 ms at %d events/s: %s  %s%s%n", s.rate(),
          p99Text.equals("lost") ? "lost (not delivered)" : p99Text + " ms", p99 <= 50 && fixed.missing() == 0 ? "MET" : "MISSED", notes));
    }
    FanoutDirect.Result base = direct.stream().filter(r -> r.tool().equals("wrk")).findFirst()
        .orElse(direct.isEmpty() ? null : direct.get(0));
    if (max != null && base != null) {
      double ratio = max.whilePushing() / base.perSecond();
      b.append(f("  deliveries/s >= 0.5x the direct rate (%s): %.0f / %.0f = %.3fx  %s%n", base.tool(),
          max.whilePushing(), base.perSecond(), ratio, ratio >= 0.5 ? "MET" : "MISSED"));
      b.append(f("    (draining alone, no pushes competing: %.0f / %.0f = %.3fx)%n", max.drainRate(), base.perSecond(),
          max.drainRate() / base.perSecond()));
    }
    if (max != null && floor != null) {
      b.append(f("  beside its database floor (not a target of the issue): draining %.0f / %.0f = %.2fx; while pushing "
          + "%.0f / %.0f = %.2fx%n", max.drainRate(), floor.perSecond(), max.drainRate() / floor.perSecond(),
          max.whilePushing(), floor.perSecond(), max.whilePushing() / floor.perSecond()));
    }
    double maxOther = Stream.concat(Stream.of(fixed == null ? null : fixed.cpu(),
            max == null ? null : max.cpuPushing(), max == null ? null : max.cpuDraining()), Stream.empty())
        .filter(java.util.Objects::nonNull).mapToDouble(CpuUse::other).max().orElse(0);
    if (maxOther > 20) {
      b.append(f("%nWARNING: other processes used up to %.0f%% of a core during the receiver's phases (load average "
          + "before: %s on %d cores): the machine was shared, so these figures are lower than on a quiet machine.%n",
          maxOther, loadBefore, rt.availableProcessors()));
    }
    if (!receiverLogSummary.isEmpty()) {
      b.append('\n').append(receiverLogSummary);
    }
    b.append(f("%nwhole run: %.0f s%n", totalSeconds));
    return b.toString();
  }

  /** Shares of the samples per latency bucket. */
  private static String histogram(long[] sortedNs) {
    double[] bounds = {10, 25, 50, 100, 250, 500, Double.POSITIVE_INFINITY};
    String[] labels = {"<=10", "<=25", "<=50", "<=100", "<=250", "<=500", ">500"};
    long[] counts = new long[bounds.length];
    long lost = 0;
    for (long v : sortedNs) {
      if (v == NEVER) {
        lost++;
        continue;
      }
      double msv = v / 1e6;
      for (int k = 0; k < bounds.length; k++) {
        if (msv <= bounds[k]) {
          counts[k]++;
          break;
        }
      }
    }
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < bounds.length; k++) {
      b.append(f("%s ms %.1f%%", labels[k], sortedNs.length == 0 ? 0.0 : 100.0 * counts[k] / sortedNs.length));
      if (k < bounds.length - 1) {
        b.append(", ");
      }
    }
    if (lost > 0) {
      b.append(f(", lost %.1f%%", 100.0 * lost / sortedNs.length));
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- helpers

  /** A growable list of longs (a few hundred thousand samples without boxing). */
  static final class LongList {
    private long[] a = new long[1024];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int size() {
      return n;
    }

    long[] sorted() {
      long[] out = Arrays.copyOf(a, n);
      Arrays.sort(out);
      return out;
    }
  }

  static double percentileNs(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int idx = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  /** A latency sample for a delivery that never came (within the wait): sorts last, printed as "lost". */
  static final long NEVER = Long.MAX_VALUE;

  private static double ms(long[] sortedNs, double q) {
    double v = percentileNs(sortedNs, q);
    return v >= NEVER ? Double.POSITIVE_INFINITY : v / 1e6;
  }

  /** A percentile for the table, 8 wide: "lost" when it falls on deliveries that never came. */
  private static String lat(long[] sortedNs, double q, int decimals) {
    double v = ms(sortedNs, q);
    if (Double.isInfinite(v)) {
      return f("%8s", "lost");
    }
    return Double.isNaN(v) ? f("%8s", "n/a") : f("%8." + decimals + "f", v);
  }

  private static String lats(long[] sortedNs, int decimals) {
    return lat(sortedNs, 0.5, decimals) + " | " + lat(sortedNs, 0.99, decimals) + " | " + lat(sortedNs, 0.999, decimals)
        + " | " + lat(sortedNs, 1.0, decimals);
  }

  private static String serverVersion(DatabaseUrl url) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        java.sql.ResultSet rs = c.createStatement().executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket sock = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return sock.getLocalPort();
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

  static String f(String format, Object... args) {
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
