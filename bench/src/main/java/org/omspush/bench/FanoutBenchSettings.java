package org.omspush.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one fan-out run (bench/fanout.sh) measures and how long, read from BENCH_* environment
 * variables (all optional). See bench/fanout.md.
 *
 * @param directConnections connections per subscriber for the direct baseline (default: the
 *                          receiver's own per-subscriber limit, OMS_SUBSCRIBER_CONCURRENCY, 4)
 * @param directTool        {@code both} (wrk and the Vert.x client), {@code wrk} or {@code vertx}
 * @param floorDeliveries   backlog of the database-floor phase (0 skips it)
 * @param floorVacuum       whether the floor starts from a vacuumed table (BENCH_FLOOR_VACUUM=0: as left)
 * @param receiverJvmOptions more options for the receiver's JVM (BENCH_RECEIVER_JVM_OPTIONS, split on
 *                          white space), e.g. {@code -XX:StartFlightRecording=filename=rx.jfr} for a profile
 */
record FanoutBenchSettings(
    Path repoRoot,
    Path receiverJar,
    String receiverJarLabel,
    Path resultsDir,
    Path wrk,
    int pgPort,
    int subscribers,
    int rate,
    int warmupSeconds,
    int measureSeconds,
    int jitWarmupSeconds,
    int maxSeconds,
    int maxConcurrency,
    int maxPool,
    int directSeconds,
    int directConnections,
    String directTool,
    int drainSeconds,
    int floorDeliveries,
    boolean floorVacuum,
    String receiverHeap,
    List<String> receiverJvmOptions,
    boolean keep,
    Path trace,
    Map<String, String> receiverOverrides) {

  /** The receiver's default per-subscriber limit of deliveries in flight (FanoutSettings.defaults()). */
  static final int RECEIVER_SUBSCRIBER_CONCURRENCY = 4;

  /** Receiver settings a run may change (passed through when set in the environment). */
  static final List<String> PASSED_THROUGH = List.of(
      "OMS_DELIVERY_POLL_INTERVAL", "OMS_SUBSCRIBER_CONCURRENCY", "OMS_DELIVERY_MAX_IN_FLIGHT",
      "OMS_DELIVERY_TIMEOUT", "OMS_DB_POOL_SIZE", "OMS_VERIFY_THREADS", "OMS_LOG_LEVEL");

  static FanoutBenchSettings fromEnvironment(String[] args) {
    Map<String, String> env = System.getenv();
    Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    Path jar = Path.of(env.getOrDefault("BENCH_RECEIVER_JAR", root.resolve("receiver/target/oms-receiver.jar").toString()));
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
    int perSubscriber = overrides.containsKey("OMS_SUBSCRIBER_CONCURRENCY")
        ? Integer.parseInt(overrides.get("OMS_SUBSCRIBER_CONCURRENCY")) : RECEIVER_SUBSCRIBER_CONCURRENCY;
    String tool = env.getOrDefault("BENCH_DIRECT_TOOL", "both").strip().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("both", "wrk", "vertx").contains(tool)) {
      throw new IllegalArgumentException("BENCH_DIRECT_TOOL must be both, wrk or vertx, not '" + tool + "'");
    }
    FanoutBenchSettings s = new FanoutBenchSettings(
        root,
        jar,
        env.getOrDefault("BENCH_RECEIVER_JAR_LABEL", env.containsKey("BENCH_RECEIVER_JAR") ? jar.toString()
            : "receiver/target/oms-receiver.jar"),
        Path.of(env.getOrDefault("BENCH_RESULTS", root.resolve("bench/results").toString())),
        Path.of(env.getOrDefault("WRK", "/usr/bin/wrk")),
        integer(env, "BENCH_PG_PORT", 0),
        integer(env, "BENCH_SUBSCRIBERS", 10),
        integer(env, "BENCH_RATE", 100),
        integer(env, "BENCH_WARMUP_SECONDS", 5),
        integer(env, "BENCH_SECONDS", 30),
        integer(env, "BENCH_JIT_WARMUP_SECONDS", 15),
        integer(env, "BENCH_MAX_SECONDS", 20),
        integer(env, "BENCH_MAX_CONCURRENCY", 8),
        integer(env, "BENCH_MAX_POOL", 400 * integer(env, "BENCH_MAX_SECONDS", 20)),
        integer(env, "BENCH_DIRECT_SECONDS", 10),
        integer(env, "BENCH_DIRECT_CONNECTIONS", perSubscriber),
        tool,
        integer(env, "BENCH_DRAIN_SECONDS", 120),
        integer(env, "BENCH_FLOOR_DELIVERIES", 20_000),
        !"0".equals(env.get("BENCH_FLOOR_VACUUM")),
        env.getOrDefault("BENCH_RECEIVER_HEAP", "1g"),
        List.of(env.getOrDefault("BENCH_RECEIVER_JVM_OPTIONS", "").strip().split("\\s+")).stream()
            .filter(o -> !o.isEmpty()).toList(),
        "1".equals(env.get("BENCH_KEEP")),
        BenchSettings.trace(env),
        overrides);
    if (s.subscribers() < 1 || s.subscribers() > 100) {
      throw new IllegalArgumentException("BENCH_SUBSCRIBERS must be 1 to 100");
    }
    if (s.directConnections() < 1) {
      throw new IllegalArgumentException("BENCH_DIRECT_CONNECTIONS must be at least 1");
    }
    return s;
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
