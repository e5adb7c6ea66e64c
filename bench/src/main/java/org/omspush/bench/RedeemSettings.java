package org.omspush.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run of the redemption benchmark (bench/redeem.sh) measures and how long, read from
 * BENCH_* environment variables (all optional). The defaults give two measured windows of five
 * minutes (1 replica, then 3) and the end-to-end time of 100 outages: about 13 minutes.
 * See bench/REDEEM.md.
 */
record RedeemSettings(
    Path repoRoot,
    Path receiverJar,
    Path resultsDir,
    int pgPort,
    int windowSeconds,
    int settleSeconds,
    int[] replicas,
    int e2eOutages,
    int queue,
    int documentBytes,
    long isoAupMillis,
    String receiverHeap,
    boolean keep,
    Map<String, String> receiverOverrides) {

  /**
   * Receiver settings a run may change (passed through when set in the environment). Nothing
   * else of the caller's OMS_* reaches the receivers: by default they run with the shipped
   * defaults (OMS_AUP_INTERVAL=5s, OMS_AUP_MARGIN=100ms, all retrieve services).
   */
  static final List<String> PASSED_THROUGH = List.of("OMS_AUP_INTERVAL", "OMS_AUP_MARGIN", "OMS_POLL_INTERVAL",
      "OMS_CLAIM_LEASE", "OMS_ISO_SERVICES", "OMS_DB_POOL_SIZE", "OMS_LOG_LEVEL");

  static RedeemSettings fromEnvironment(String[] args) {
    Map<String, String> env = System.getenv();
    Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    // redeem.sh passes a copy, so that a build elsewhere during the run cannot change it
    Path jar = env.containsKey("BENCH_RECEIVER_JAR") ? Path.of(env.get("BENCH_RECEIVER_JAR"))
        : root.resolve("receiver/target/oms-receiver.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run ./mvnw -q -DskipTests package first");
    }
    Map<String, String> overrides = new LinkedHashMap<>();
    // INFO: one line per redeemed claim, per replica (a few hundred lines in a run)
    overrides.put("OMS_LOG_LEVEL", "INFO");
    for (String name : PASSED_THROUGH) {
      String v = env.get(name);
      if (v != null && !v.isBlank()) {
        overrides.put(name, v.strip());
      }
    }
    int window = integer(env, "BENCH_REDEEM_SECONDS", 300);
    int[] replicas = Arrays.stream(env.getOrDefault("BENCH_REDEEM_REPLICAS", "1,3").split(","))
        .map(String::strip).filter(v -> !v.isEmpty()).mapToInt(Integer::parseInt).toArray();
    for (int i = 0; i < replicas.length; i++) {
      if (replicas[i] < 1 || (i > 0 && replicas[i] <= replicas[i - 1])) {
        throw new IllegalArgumentException("BENCH_REDEEM_REPLICAS must grow (replicas are added, never removed): "
            + Arrays.toString(replicas));
      }
    }
    long aupMillis = integer(env, "BENCH_ISO_AUP_MS", 5000);
    int e2e = integer(env, "BENCH_REDEEM_E2E", 100);
    // the backlog never drops below this many pending claims: about 50 s of work at 5.1 s a call
    int queue = integer(env, "BENCH_REDEEM_QUEUE", 10);
    if (e2e < 1 || queue < 1) {
      throw new IllegalArgumentException("BENCH_REDEEM_E2E and BENCH_REDEEM_QUEUE must be at least 1");
    }
    return new RedeemSettings(
        root,
        jar,
        Path.of(env.getOrDefault("BENCH_RESULTS", root.resolve("bench/results").toString())),
        // not the ingest benchmark's 54329: the two may run on one machine
        integer(env, "BENCH_PG_PORT", 54339),
        window,
        integer(env, "BENCH_REDEEM_SETTLE_SECONDS", 20),
        replicas,
        e2e,
        queue,
        integer(env, "BENCH_REDEEM_DOC_BYTES", 4096),
        aupMillis,
        env.getOrDefault("BENCH_RECEIVER_HEAP", "512m"),
        "1".equals(env.get("BENCH_KEEP")),
        overrides);
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
