package org.omspush.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.receiver.DevEnvironment;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;

/**
 * The ingest benchmark (bench/ingest.sh): one embedded Postgres; pgbench single-row inserts on it
 * as the baseline; the receiver jar in its own JVM on it; signed ISO pushes closed loop at each
 * concurrency, then at a fixed rate; then a burst of large pushes into a receiver with a small
 * heap. Prints one table and writes it to bench/results/ingest-DATE.txt. It measures and
 * reports against the targets; it never fails on a number.
 */
public final class IngestBench {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm");

  private final BenchSettings s;
  private final List<String> progress = new ArrayList<>();
  private Path work;

  private IngestBench(BenchSettings settings) {
    this.s = settings;
  }

  public static void main(String[] args) {
    int status;
    try {
      status = new IngestBench(BenchSettings.fromEnvironment(args)).run();
    } catch (Exception e) {
      System.err.println("bench failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private void say(String line) {
    System.err.println("[bench " + LocalDateTime.now().toLocalTime().withNano(0) + "] " + line);
  }

  /** What the memory run found. */
  private record Memory(Load.Run run, long stored, boolean oom, boolean alive, long peakRssKib, double[] gcMib,
      String logErrors) {}

  /** CPU use during a phase, percent of one core: receiver, postgres, load generator, everything else. */
  private record CpuUse(double receiver, double postgres, double loadgen, double other) {
    static CpuUse of(double[] pct) {
      return new CpuUse(pct[0], pct[1], pct[2], pct[3] - pct[0] - pct[1] - pct[2]);
    }

    String text() {
      return String.format(Locale.ROOT, "%3.0f / %3.0f / %3.0f / %3.0f", receiver, postgres, loadgen, other);
    }
  }

  private String pgVersion;
  private String loadBefore;
  private int envelopeBytes;
  private double signMs;
  private Map<String, String> env;
  private List<String> jvm;
  private final Map<Integer, PgBench.Result> baseline = new LinkedHashMap<>();
  private final Map<Integer, CpuUse> baselineCpu = new HashMap<>();
  private final Map<Integer, PgBench.Result> sqlOnly = new HashMap<>();
  private final List<Load.Run> runs = new ArrayList<>();
  private final Map<Integer, CpuUse> runCpu = new HashMap<>();
  private final Map<Integer, Double> serverMeanMs = new HashMap<>();
  private Load.Run fixed;
  private CpuUse fixedCpu;
  private Memory memory;

  private int run() throws Exception {
    long began = System.nanoTime();
    work = Files.createTempDirectory("oms-bench-");
    boolean ok = false;
    ReceiverProcess[] current = new ReceiverProcess[1];
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (current[0] != null) {
        current[0].close();
      }
    }, "bench-cleanup"));
    loadBefore = loadAverage();
    say("work directory " + work + "; load average " + loadBefore);
    DevPki pki = DevPki.generate(work.resolve("pki"));
    try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("db"), s.pgPort());
        Load load = new Load(pki)) {
      // 1. one Postgres, migrated
      DatabaseUrl url = db.url();
      Migrations.migrate(url);
      pgVersion = serverVersion(url);
      say("embedded PostgreSQL " + pgVersion + " on 127.0.0.1:" + db.port() + " (fsync on, synchronous_commit on)");
      LongSupplier pgCpu = Cpu.postgres(db.dataDirectory());
      LongSupplier selfCpu = () -> Cpu.nanos(ProcessHandle.current());

      // 2. baseline
      byte[] sample = load.sign(load.outageChanges("s"), 1).get(0);
      PgBench pgbench = new PgBench(s.pgbench(), url, work, sample);
      for (int c : s.pgbenchSeconds() > 0 ? s.concurrencies() : new int[0]) {
        say("pgbench: " + c + " client(s), " + s.pgbenchSeconds() + " s");
        Cpu.Snapshot before = Cpu.Snapshot.take(() -> 0, pgCpu, () -> 0, Cpu::machine);
        PgBench.Result r = pgbench.run(c, s.pgbenchSeconds());
        baselineCpu.put(c, CpuUse.of(Cpu.Snapshot.take(() -> 0, pgCpu, () -> 0, Cpu::machine).since(before)));
        baseline.put(c, r);
        say(f("pgbench c=%d: %.0f tps, %.2f ms average", c, r.tps(), r.latencyMs()));
      }
      for (int c : s.sqlSeconds() > 0 ? s.concurrencies() : new int[0]) {
        say("pgbench with the receiver's own SQL: " + c + " client(s), " + s.sqlSeconds() + " s");
        PgBench.Result r = pgbench.runReceiverSql(c, s.sqlSeconds());
        sqlOnly.put(c, r);
        say(f("receiver SQL c=%d: %.0f tps, %.2f ms average", c, r.tps(), r.latencyMs()));
      }

      // 3. the receiver, as deployed
      env = receiverEnv(pki, url);
      String throughputLog = "";
      Feed feed = new Feed(load);
      jvm = new ArrayList<>(List.of("-Xmx" + s.receiverHeap(),
          "-Xlog:gc*,safepoint:file=" + work.resolve("gc.log") + ":uptime"));
      if (s.concurrencies().length > 0 || s.rate() > 0) {
        Path jfr = null;
        if (s.jfr()) {
          Files.createDirectories(s.resultsDir());
          jfr = s.resultsDir().resolve("receiver-" + STAMP.format(LocalDateTime.now()) + ".jfr").toAbsolutePath();
        }
        say("starting the receiver (" + String.join(" ", jvm) + ")");
        ReceiverProcess receiver = ReceiverProcess.start(s.receiverJar(), jvm, env, work.resolve("receiver.log"));
        current[0] = receiver;
        String pushUrl = "https://127.0.0.1:" + receiver.pushPort + "/iso/v1/push";
        LongSupplier[] counters = {receiver::cpuNanos, pgCpu, selfCpu, Cpu::machine};

        Duration warm = Duration.ofSeconds(s.warmupSeconds());
        Duration measure = Duration.ofSeconds(s.measureSeconds());
        long perLevel = s.warmupSeconds() + s.measureSeconds();

        // One stream of signed pushes for all runs: topped up before each run (signing is not measured),
        // and what a run leaves unsent is used by the next, so generous sizing wastes little.

        // JIT warm-up of the fresh receiver (C2 needs a while on 2 cores), which also gives a first
        // estimate of its rate: that of its second half, when the JIT has done most of its work
        long t0 = System.nanoTime();
        feed.topUp(6000);
        signMs = (System.nanoTime() - t0) / 1e6 / 6000;
        envelopeBytes = feed.pushes().get(0).length;
        say(f("signing: %.2f ms per push on %d threads (%d bytes each)", signMs,
            Runtime.getRuntime().availableProcessors(), envelopeBytes));
        say("JIT warm-up: concurrency 8 for " + s.jitWarmupSeconds() + " s");
        long half = Math.max(1, s.jitWarmupSeconds() / 2);
        Load.Run warmRun = load.closedLoop("warm-up", pushUrl, feed.pushes(), 8, Duration.ofSeconds(half),
            Duration.ofSeconds(s.jitWarmupSeconds() - half));
        feed.consumed(warmRun.sent());
        if (warmRun.allStatuses().getOrDefault(200, 0) == 0) {
          throw new IllegalStateException("the receiver acknowledged nothing in the warm-up: sent " + warmRun.sent()
              + ", answers " + warmRun.allStatuses() + "\n" + receiver.logTail(40));
        }
        double best = Math.max(50, warmRun.perSecond());
        say(f("warm-up: %.0f pushes/s at 8 (answers %s)", warmRun.perSecond(), warmRun.allStatuses()));

        // 4. closed loop at each concurrency
        int[] levels = s.concurrencies();
        for (int c : levels) {
          // enough for the expected rate; if they run out, the window ends there (and the report says so)
          // (at least 500/s from concurrency 8 on: the warm-up underestimates a JIT that is still compiling;
          // what is left over goes to the next run)
          double expect = c == 1 ? best : Math.max(500, best * 1.8);
          feed.topUp((int) Math.min(200_000, Math.ceil(expect * 1.15 * perLevel)));
          System.gc();
          say("closed loop, concurrency " + c + ": " + warm.toSeconds() + " s warm-up + " + measure.toSeconds() + " s");
          double cnt0 = receiver.metric("oms_push_ack_latency_seconds_count");
          double sum0 = receiver.metric("oms_push_ack_latency_seconds_sum");
          boolean profile = jfr != null && c == levels[levels.length - 1];
          if (profile) {
            // the measured window of the highest concurrency only: from the end of its warm-up (so
            // not the TLS handshakes of its new connections) to the end
            Path file = jfr;
            long pid = receiver.pid();
            Thread starter = new Thread(() -> {
              try {
                Thread.sleep(warm.toMillis());
                jcmd(pid, "JFR.start", "name=bench", "settings=profile", "filename=" + file);
              } catch (Exception e) {
                say("JFR.start failed: " + e);
              }
            }, "jfr-start");
            starter.setDaemon(true);
            starter.start();
          }
          Cpu.Snapshot before = Cpu.Snapshot.take(counters);
          Load.Run r = load.closedLoop("c" + c, pushUrl, feed.pushes(), c, warm, measure);
          runCpu.put(c, CpuUse.of(Cpu.Snapshot.take(counters).since(before)));
          feed.consumed(r.sent());
          if (profile) {
            jcmd(receiver.pid(), "JFR.stop", "name=bench");
          }
          double cnt1 = receiver.metric("oms_push_ack_latency_seconds_count");
          double sum1 = receiver.metric("oms_push_ack_latency_seconds_sum");
          serverMeanMs.put(c, (sum1 - sum0) / (cnt1 - cnt0) * 1000);
          runs.add(r);
          best = Math.max(best, r.perSecond());
          say(f("c=%d: %.0f pushes/s, p50 %.1f ms, p99 %.1f ms%s; statuses %s; CPU rx/pg/load/other %s", c,
              r.perSecond(), r.percentile(0.50), r.percentile(0.99), r.ranOut() ? " (ran out of pushes)" : "",
              r.statuses(), runCpu.get(c).text()));
        }

        // 5. fixed rate
        if (s.rate() > 0) {
          feed.topUp(s.rate() * (int) perLevel);
          System.gc();
          say("fixed rate " + s.rate() + "/s over up to " + s.rateConnections() + " connections: "
              + warm.toSeconds() + " s warm-up + " + measure.toSeconds() + " s");
          Cpu.Snapshot before = Cpu.Snapshot.take(counters);
          fixed = load.fixedRate("rate", pushUrl, feed.pushes(), s.rate(), s.rateConnections(), warm, measure,
              s.trace());
          fixedCpu = CpuUse.of(Cpu.Snapshot.take(counters).since(before));
          feed.consumed(fixed.sent());
          say(f("fixed rate: %.0f acks/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms; statuses %s", fixed.perSecond(),
              fixed.percentile(0.5), fixed.percentile(0.99), fixed.max(), fixed.statuses()));
        }
        say(f("signed %d pushes in all, %d left unused", feed.signed(), feed.pushes().size()));
        throughputLog = receiver.logText();
        receiver.close();
        current[0] = null;
        if (jfr != null) {
          say("JFR recording of the receiver at the highest concurrency: " + jfr);
        }
      }

      // 6. memory: a burst of large pushes into a small heap
      if (s.bigCount() > 0) {
        int bigWarm = s.bigWarmupSeconds() > 0 ? 2 : 0;
        say("signing " + (s.bigCount() + bigWarm) + " pushes of " + s.bigBytes() / (1024 * 1024) + " MiB");
        List<byte[]> big = load.sign(load.largeMarketEvents(s.bigBytes()), s.bigCount() + bigWarm);
        if (s.bigWarmupSeconds() > 0) {
          feed.topUp(300 * s.bigWarmupSeconds());
        }
        Path gcLog = work.resolve("gc-big.log");
        List<String> bigJvm = List.of("-Xmx" + s.bigHeap(), "-Xlog:gc:file=" + gcLog);
        say("restarting the receiver with " + String.join(" ", bigJvm));
        ReceiverProcess small = ReceiverProcess.start(s.receiverJar(), bigJvm, env, work.resolve("receiver-big.log"));
        current[0] = small;
        String smallUrl = "https://127.0.0.1:" + small.pushPort + "/iso/v1/push";
        if (s.bigWarmupSeconds() > 0) {
          // a receiver that has been running, not one just started: its JIT has compiled the TLS, XML and
          // signature code (cold, it does these 160 MB interpreted, and that alone trips its 10 s timeouts)
          say("warming the small receiver up: small pushes for " + s.bigWarmupSeconds() + " s, then "
              + bigWarm + " large ones one after the other");
          Load.Run w = load.closedLoop("big-warm-up", smallUrl, feed.pushes(), 8, Duration.ZERO,
              Duration.ofSeconds(s.bigWarmupSeconds()));
          feed.consumed(w.sent());
          for (int i = 0; i < bigWarm; i++) {
            load.burst("big-warm-up", smallUrl, PushMessage.MARKET_EVENT_ACTION, big.subList(i, i + 1),
                Duration.ofSeconds(60));
          }
          big = big.subList(bigWarm, big.size());
        }
        say(s.bigCount() + " concurrent pushes of " + s.bigBytes() + " bytes");
        Load.Run bigRun = load.burst("big", smallUrl, PushMessage.MARKET_EVENT_ACTION, big,
            Duration.ofSeconds(180));
        big = null;
        boolean alive = small.isAlive();
        long peakRss = small.peakRssKib();
        String bigLog = small.logText();
        small.close();
        current[0] = null;
        long stored = countLike(url, "SELECT count(*) FROM market_event WHERE event_id LIKE ?",
            load.largeEventPrefix() + "%") - bigWarm;
        boolean oom = bigLog.contains("OutOfMemoryError") || throughputLog.contains("OutOfMemoryError");
        memory = new Memory(bigRun, stored, oom, alive, peakRss, gcHeap(gcLog), errorLines(bigLog));
        say(f("large pushes: statuses %s in %.1f s, %d stored, OOM in log: %s, alive: %s%s", bigRun.statuses(),
            bigRun.windowSeconds(), stored, oom ? "YES" : "no", alive,
            bigRun.failures().isEmpty() ? "" : "; no answer: " + bigRun.failures()));
      }

      // 7. the report
      String report = report((System.nanoTime() - began) / 1e9);
      System.out.println();
      System.out.print(report);
      Files.createDirectories(s.resultsDir());
      Path file = s.resultsDir().resolve("ingest-" + STAMP.format(LocalDateTime.now()) + ".txt");
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

  /** Signed pushes not sent yet, in order (a version 2 always comes after its version 1). */
  private final class Feed {
    private final Load load;
    private List<byte[]> pushes = new ArrayList<>();
    private int chunks;
    private int signed;

    Feed(Load load) {
      this.load = load;
    }

    void topUp(int wanted) throws Exception {
      int missing = wanted - pushes.size();
      if (missing > 0) {
        say("signing " + missing + " pushes (" + pushes.size() + " left from before)");
        pushes.addAll(load.sign(load.outageChanges("f" + chunks++), missing));
        signed += missing;
      }
    }

    List<byte[]> pushes() {
      return pushes;
    }

    void consumed(int n) {
      pushes = new ArrayList<>(pushes.subList(Math.min(n, pushes.size()), pushes.size()));
    }

    int signed() {
      return signed;
    }
  }

  private void jcmd(long pid, String... args) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      say("jcmd " + String.join(" ", args) + " failed: " + out.strip());
    }
  }

  private Map<String, String> receiverEnv(DevPki pki, DatabaseUrl url) {
    Map<String, String> env = new LinkedHashMap<>(DevEnvironment.of(pki));
    env.put("OMS_DATABASE_URL", "postgresql://" + url.user() + "@" + url.host() + ":" + url.port() + "/"
        + url.database());
    env.putAll(s.receiverOverrides());
    return env;
  }

  private String report(double totalSeconds) {
    StringBuilder b = new StringBuilder();
    Runtime rt = Runtime.getRuntime();
    b.append(f("OMS push receiver: ingest benchmark, %s UTC%n",
        LocalDateTime.now(ZoneOffset.UTC).withNano(0).toString().replace('T', ' ')));
    b.append(f("machine: %d cores, %s, %s %s, Java %s; load average before %s, after %s%n", rt.availableProcessors(),
        memTotal(), System.getProperty("os.name"), System.getProperty("os.version"),
        System.getProperty("java.version"), loadBefore, loadAverage()));
    b.append(f("database: embedded PostgreSQL %s (zonky), fsync on, synchronous_commit on, one server for all runs%n",
        pgVersion));
    b.append(f("baseline: pgbench -n -M prepared -T %d -c C -j min(2,C), one autocommit INSERT of a 1-byte body per "
        + "transaction%n", s.pgbenchSeconds()));
    b.append(f("receiver: java %s -jar oms-receiver.jar serve; OMS_DB_POOL_SIZE=%s OMS_VERIFY_THREADS=%s "
        + "OMS_LOG_LEVEL=%s%n", String.join(" ", jvm), env.getOrDefault("OMS_DB_POOL_SIZE", "16 (default)"),
        env.getOrDefault("OMS_VERIFY_THREADS", "max(2,cores) (default)"), env.get("OMS_LOG_LEVEL")));
    b.append(f("pushes: receiveOutageStatusChange_v1 with a claim check, RSA-SHA256 WS-Security, %d bytes, signed "
        + "beforehand (%.2f ms each); mTLS, TLS 1.3, HTTP/1.1 keep-alive; half of them supersede an earlier version%n",
        envelopeBytes, signMs));
    b.append(f("closed loop: %d s warm-up + %d s measured per concurrency; the load generator runs on the same "
        + "machine%n", s.warmupSeconds(), s.measureSeconds()));
    b.append("CPU: percent of one core used during the phase by receiver / postgres / load generator / "
        + "everything else on the machine\n\n");

    b.append(f("%-11s | %11s | %17s | %6s | %7s | %7s | %10s | %8s | %-23s | %-13s | %s%n", "concurrency",
        "pgbench TPS", "receiver pushes/s", "ratio", "p50 ms", "p99 ms", "server avg", "errors", "CPU during pushes",
        "pgbench CPU", "receiver SQL only, TPS"));
    b.append("-".repeat(170)).append('\n');
    for (Load.Run r : runs) {
      PgBench.Result pg = baseline.get(r.concurrency());
      double tps = pg == null ? Double.NaN : pg.tps();
      CpuUse pgc = baselineCpu.get(r.concurrency());
      PgBench.Result sql = sqlOnly.get(r.concurrency());
      b.append(f("%-11d | %11.0f | %17.0f | %5.2fx | %7.1f | %7.1f | %10.1f | %8s | %-23s | %-13s | %s%s%n",
          r.concurrency(), tps, r.perSecond(), r.perSecond() / tps, r.percentile(0.5), r.percentile(0.99),
          serverMeanMs.get(r.concurrency()), errors(r), runCpu.get(r.concurrency()).text(),
          pgc == null ? "n/a" : f("%3.0f / %3.0f", pgc.postgres(), pgc.other()),
          sql == null ? "n/a" : f("%.0f (%.2f ms avg)", sql.tps(), sql.latencyMs()),
          r.ranOut() ? f("  [ran out of pre-signed pushes: %.1f s measured]", r.windowSeconds()) : ""));
    }
    for (Load.Run r : runs) {
      if (!r.failures().isEmpty()) {
        b.append(f("concurrency %d, pushes that got no answer: %s%n", r.concurrency(), r.failures()));
      }
    }
    b.append("server avg: the receiver's own mean ack latency (oms_push_ack_latency: request start to 200 sent)\n");
    b.append("pgbench CPU: postgres / everything else, percent of one core (everything else includes pgbench)\n");
    b.append(f("receiver SQL only: pgbench running the receiver's own outage-change statement (PushSql: one call of "
        + "store_outage_change, V23; a real signed envelope as raw_xml), one push per transaction, %d s: the "
        + "database's ceiling for this ingest path without group commit on this machine%n%n", s.sqlSeconds()));
    if (fixed != null) {
      b.append(f("fixed rate %d pushes/s (open loop, up to %d connections, latency from the scheduled send time): "
          + "%.0f acks/s, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms, errors %s; CPU %s%n",
          s.rate(), s.rateConnections(), fixed.perSecond(), fixed.percentile(0.5), fixed.percentile(0.99),
          fixed.percentile(0.999), fixed.max(), errors(fixed), fixedCpu.text()));
      if (!fixed.failures().isEmpty()) {
        b.append("  pushes that got no answer: ").append(fixed.failures()).append('\n');
      }
    }
    if (memory != null) {
      Load.Run big = memory.run();
      int ok200 = big.statuses().getOrDefault(200, 0);
      b.append(f("memory: receiver -Xmx%s, %s, %d concurrent pushes of %d bytes (market events, padded "
          + "description): %d/%d answered 200 in %.1f s (answers %s), %d stored; OutOfMemoryError in the receiver's log: %s; "
          + "receiver alive afterwards: %s; peak RSS %s; heap before/after GC at most %s%n",
          s.bigHeap(), s.bigWarmupSeconds() > 0 ? "warmed up (" + s.bigWarmupSeconds() + " s of small pushes, 2 large)"
              : "freshly started (cold JIT)", s.bigCount(), s.bigBytes(), ok200, s.bigCount(), big.windowSeconds(), big.statuses(),
          memory.stored(), memory.oom() ? "YES" : "no", memory.alive() ? "yes" : "NO",
          memory.peakRssKib() < 0 ? "n/a" : (memory.peakRssKib() / 1024) + " MiB",
          Double.isNaN(memory.gcMib()[0]) ? "n/a" : f("%.0f / %.0f MiB", memory.gcMib()[0], memory.gcMib()[1])));
      if (!big.failures().isEmpty()) {
        b.append("  pushes that got no answer: ").append(big.failures()).append('\n');
      }
      if (!memory.logErrors().isEmpty()) {
        b.append("  receiver log (memory run), first errors:\n").append(memory.logErrors());
      }
    }
    b.append('\n');
    b.append("targets (reported, not asserted):\n");
    if (!runs.isEmpty()) {
      Load.Run last = runs.stream().max(Comparator.comparingInt(Load.Run::concurrency)).orElseThrow();
      PgBench.Result lastPg = baseline.get(last.concurrency());
      double ratio = lastPg == null ? Double.NaN : last.perSecond() / lastPg.tps();
      b.append(f("  receiver >= 0.5x pgbench at concurrency %d (stretch 1.0x): %.2fx  %s%n", last.concurrency(),
          ratio, Double.isNaN(ratio) ? "n/a" : ratio >= 1.0 ? "MET (stretch met)"
              : ratio >= 0.5 ? "MET (stretch missed)" : "MISSED"));
    }
    if (fixed != null) {
      boolean sustained = fixed.perSecond() >= 0.97 * s.rate() && fixed.failed() == 0;
      b.append(f("  p99 <= 25 ms at %d pushes/s: %.1f ms  %s%n", s.rate(), fixed.percentile(0.99),
          fixed.percentile(0.99) <= 25 && sustained ? "MET" : sustained ? "MISSED" : "MISSED (rate not sustained)"));
    }
    if (memory != null) {
      boolean all = memory.run().statuses().getOrDefault(200, 0) == s.bigCount();
      b.append(f("  %d x %d MiB at -Xmx%s without OOM: %s%n", s.bigCount(), s.bigBytes() / (1024 * 1024), s.bigHeap(),
          !memory.oom() && memory.alive() && all ? "MET"
              : !memory.oom() && memory.alive() ? "no OOM, but not all answered 200" : "MISSED"));
    }
    double maxOther = runCpu.values().stream().mapToDouble(CpuUse::other).max().orElse(0);
    if (fixedCpu != null) {
      maxOther = Math.max(maxOther, fixedCpu.other());
    }
    if (maxOther > 20) {
      b.append(f("%nWARNING: other processes used up to %.0f%% of a core during the push runs (load average before: "
          + "%s): the machine was shared, so the receiver's figures are lower than on a quiet machine.%n", maxOther,
          loadBefore));
    }
    b.append(f("%nwhole run: %.0f s%n", totalSeconds));
    return b.toString();
  }

  private static String errors(Load.Run r) {
    if (r.failed() == 0) {
      return "0";
    }
    StringBuilder b = new StringBuilder();
    r.statuses().forEach((k, v) -> {
      if (k != 200) {
        b.append(b.length() == 0 ? "" : " ").append(k == Load.FAILED ? "io" : k == 0 ? "none" : k).append(':').append(v);
      }
    });
    return b.toString();
  }

  private static String errorLines(String log) {
    StringBuilder b = new StringBuilder();
    int n = 0;
    for (String line : log.split("\n")) {
      if ((line.contains(" ERROR ") || line.contains("OutOfMemoryError") || line.contains("Exception")) && n < 5) {
        b.append("    ").append(line.length() > 200 ? line.substring(0, 200) + "…" : line).append('\n');
        n++;
      }
    }
    return b.toString();
  }

  /** The largest heap before and after a GC in the -Xlog:gc file, MiB. */
  private static double[] gcHeap(Path gcLog) {
    double before = Double.NaN;
    double after = Double.NaN;
    try {
      Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)").matcher(Files.readString(gcLog));
      while (m.find()) {
        before = Double.isNaN(before) ? Double.parseDouble(m.group(1)) : Math.max(before, Double.parseDouble(m.group(1)));
        after = Double.isNaN(after) ? Double.parseDouble(m.group(2)) : Math.max(after, Double.parseDouble(m.group(2)));
      }
    } catch (IOException e) {
      // no log
    }
    return new double[] {before, after};
  }

  private static String serverVersion(DatabaseUrl url) throws Exception {
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        ResultSet rs = c.createStatement().executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long countLike(DatabaseUrl url, String sql, String pattern) throws Exception {
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, pattern);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
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
