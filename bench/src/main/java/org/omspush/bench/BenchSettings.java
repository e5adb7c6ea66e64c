package org.omspush.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run measures and how long, read from BENCH_* environment variables (all optional; the
 * defaults keep a full run at about five minutes on two cores). See bench/README.md.
 */
record BenchSettings(
    Path repoRoot,
    Path receiverJar,
    Path resultsDir,
    Path pgbench,
    int pgPort,
    int pgbenchSeconds,
    int sqlSeconds,
    int jitWarmupSeconds,
    int warmupSeconds,
    int measureSeconds,
    int[] concurrencies,
    int rate,
    int rateConnections,
    int bigCount,
    int bigWarmupSeconds,
    int bigBytes,
    String bigHeap,
    String receiverHeap,
    boolean jfr,
    boolean keep,
    Path trace,
    Map<String, String> receiverOverrides) {

  /** Receiver settings a run may change (passed through when set in the environment). */
  static final List<String> PASSED_THROUGH = List.of(
      "OMS_DB_POOL_SIZE", "OMS_VERIFY_THREADS", "OMS_MAX_BODY_BYTES", "OMS_INFLIGHT_BODY_BYTES", "OMS_LOG_LEVEL");

  static BenchSettings fromEnvironment(String[] args) {
    Map<String, String> env = System.getenv();
    Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    Path jar = root.resolve("receiver/target/oms-receiver.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run ./mvnw -q -DskipTests package first");
    }
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("OMS_LOG_LEVEL", "WARN");
    for (String name : PASSED_THROUGH) {
      String v = env.get(name);
      if (v != null && !v.isBlank()) {
        overrides.put(name, v.strip());
      }
    }
    return new BenchSettings(
        root,
        jar,
        Path.of(env.getOrDefault("BENCH_RESULTS", root.resolve("bench/results").toString())),
        Path.of(env.getOrDefault("PGBENCH", "/usr/bin/pgbench")),
        integer(env, "BENCH_PG_PORT", 54329),
        integer(env, "BENCH_PGBENCH_SECONDS", 10),
        integer(env, "BENCH_SQL_SECONDS", 10),
        integer(env, "BENCH_JIT_WARMUP_SECONDS", 15),
        integer(env, "BENCH_WARMUP_SECONDS", 5),
        integer(env, "BENCH_SECONDS", 20),
        Arrays.stream(env.getOrDefault("BENCH_CONCURRENCY", "1,8,32").split(","))
            .map(String::strip).filter(v -> !v.isEmpty()).mapToInt(Integer::parseInt).toArray(),
        integer(env, "BENCH_RATE", 500),
        integer(env, "BENCH_RATE_CONNECTIONS", 64),
        integer(env, "BENCH_BIG_COUNT", 32),
        integer(env, "BENCH_BIG_WARMUP_SECONDS", 10),
        integer(env, "BENCH_BIG_MB", 5) * 1024 * 1024,
        env.getOrDefault("BENCH_BIG_HEAP", "256m"),
        env.getOrDefault("BENCH_RECEIVER_HEAP", "1g"),
        "1".equals(env.get("BENCH_JFR")),
        "1".equals(env.get("BENCH_KEEP")),
        trace(env),
        overrides);
  }

  /** BENCH_TRACE: a file for one line per push of the fixed-rate run, or null. */
  static Path trace(Map<String, String> env) {
    String v = env.get("BENCH_TRACE");
    return v == null || v.isBlank() ? null : Path.of(v.strip());
  }

  private static int integer(Map<String, String> env, String name, int def) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, not '" + v + "'");
    }
  }
}
