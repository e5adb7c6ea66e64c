package org.omspush.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;

/**
 * The ISO side: pushes signed up front (signing is not what is measured), sent over mutual TLS
 * with the ISO push certificate by the isosim {@link Pusher}, closed loop or at a fixed rate.
 */
final class Load implements AutoCloseable {
  /** How a push ended: HTTP status, or {@link #FAILED} (timeout, connection error). */
  static final int FAILED = -1;

  private final DevPki pki;
  private final PushSigner signer;
  private final Vertx vertx;
  private final List<Context> contexts = new CopyOnWriteArrayList<>();
  private final String runTag = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  private final int signingThreads = Runtime.getRuntime().availableProcessors();

  Load(DevPki pki) throws Exception {
    this.pki = pki;
    this.signer = PushSigner.of(pki.isoPushClient());
    this.vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(false));
    // One context per event loop: each sender stays on its loop, the load spreads over all of them.
    int loops = io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- messages

  /**
   * Outage status changes with a claim check, as the ISO sends them. Every other push after the
   * first thousand is version 2 of an outage pushed a thousand messages earlier (so its version
   * 1 is committed and gets superseded); the rest are new outages.
   */
  IntFunction<PushMessage> outageChanges(String pool) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    String prefix = "B" + runTag + "-" + pool + "-";
    return i -> {
      boolean update = i % 2 == 1 && i >= 1001;
      String mrid = prefix + (update ? i - 1001 : i);
      long version = update ? 2 : 1;
      OutageStatusChange change = new OutageStatusChange(mrid, i % 3 == 0 ? "RESOURCE" : "TRANSMISSION", version,
          update ? "APPROVED" : "RECEIVED", update ? "RECEIVED" : null, now,
          new ClaimCheck("tok-" + mrid + "-v" + version, ClaimCheck.OUTAGE_SERVICE, now.plus(1, ChronoUnit.DAYS)));
      return PushMessage.outageStatusChange(change).build();
    };
  }

  /** Market events padded to {@code bytes} (the padding is in the description, so it is signed and stored). */
  IntFunction<PushMessage> largeMarketEvents(int bytes) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return i -> PushMessage.marketEvent(new MarketEvent("EV-BIG-" + runTag + "-" + i, "RESULTS_PUBLISHED", "DAM",
        LocalDate.now().plusDays(1), now, "large payload ", null)).padTo(bytes).build();
  }

  String largeEventPrefix() {
    return "EV-BIG-" + runTag + "-";
  }

  /** Signs {@code n} pushes on all cores; returns the envelopes in index order. */
  List<byte[]> sign(IntFunction<PushMessage> messages, int n) throws Exception {
    byte[][] out = new byte[n][];
    ExecutorService pool = Executors.newFixedThreadPool(signingThreads);
    try {
      AtomicInteger next = new AtomicInteger();
      List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
      for (int t = 0; t < signingThreads; t++) {
        tasks.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            out[i] = signer.sign(messages.apply(i), PushSigner.Algorithm.RSA_SHA256);
          }
        }));
      }
      for (var task : tasks) {
        task.get();
      }
    } finally {
      pool.shutdown();
    }
    return Arrays.asList(out);
  }

  // ---------------------------------------------------------------- runs

  /** Per push: when it was due (ns), when its answer came (ns), its status. */
  static final class Outcomes {
    final long[] due;
    final long[] done;
    final int[] status;
    /** Why pushes failed without an HTTP answer: exception and message, with counts. */
    final java.util.Map<String, Integer> failures = new java.util.concurrent.ConcurrentSkipListMap<>();

    void record(int i, io.vertx.core.AsyncResult<PushResult> ar) {
      done[i] = System.nanoTime();
      if (ar.succeeded()) {
        status[i] = ar.result().statusCode();
      } else {
        status[i] = FAILED;
        Throwable t = ar.cause();
        long after = Math.round((done[i] - due[i]) / 1e9);
        failures.merge(t.getClass().getSimpleName() + ": " + t.getMessage() + " (after ~" + after + " s)", 1,
            Integer::sum);
      }
    }

    Outcomes(int n) {
      due = new long[n];
      done = new long[n];
      status = new int[n];
    }
  }

  /**
   * What a run measured in its window.
   *
   * @param windowSeconds the window actually measured (shorter when the pre-signed pushes ran out)
   * @param latenciesMs   sorted ack latencies of the 200s completed in the window
   */
  record Run(String label, int concurrency, double windowSeconds, int acked, int failed,
      java.util.Map<Integer, Integer> statuses, double[] latenciesMs, boolean ranOut, int sent,
      int ackedByAnswerTime, java.util.Map<Integer, Integer> allStatuses, java.util.Map<String, Integer> failures) {

    /** Acknowledgements answered per second of the window. */
    double perSecond() {
      return windowSeconds > 0 ? ackedByAnswerTime / windowSeconds : Double.NaN;
    }

    double percentile(double q) {
      if (latenciesMs.length == 0) {
        return Double.NaN;
      }
      int idx = (int) Math.ceil(q * latenciesMs.length) - 1;
      return latenciesMs[Math.max(0, Math.min(latenciesMs.length - 1, idx))];
    }

    double max() {
      return latenciesMs.length == 0 ? Double.NaN : latenciesMs[latenciesMs.length - 1];
    }
  }

  /**
   * Closed loop: {@code concurrency} senders, each sending its next push as soon as the previous
   * one is answered, for warm-up + measure; counts the answers that arrive in the measured window.
   */
  Run closedLoop(String label, String url, List<byte[]> envelopes, int concurrency, Duration warmup,
      Duration measure) throws Exception {
    int n = envelopes.size();
    Outcomes o = new Outcomes(n);
    AtomicInteger next = new AtomicInteger();
    AtomicLong ranOutAt = new AtomicLong(Long.MAX_VALUE);
    CountDownLatch finished = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    long windowStart = start + warmup.toNanos();
    long windowEnd = windowStart + measure.toNanos();
    try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(concurrency)
        .timeout(Duration.ofSeconds(30)))) {
      for (int w = 0; w < concurrency; w++) {
        contexts.get(w % contexts.size()).runOnContext(v ->
            sendNext(pusher, url, envelopes, o, next, ranOutAt, windowEnd, finished));
      }
      if (!finished.await(warmup.plus(measure).toSeconds() + 90, TimeUnit.SECONDS)) {
        throw new IllegalStateException(label + ": senders did not finish");
      }
    }
    long end = Math.min(windowEnd, ranOutAt.get());
    return summarize(label, concurrency, o, Math.min(next.get(), n), windowStart, end, ranOutAt.get() < windowEnd,
        false);
  }

  private void sendNext(Pusher pusher, String url, List<byte[]> envelopes, Outcomes o, AtomicInteger next,
      AtomicLong ranOutAt, long windowEnd, CountDownLatch finished) {
    long now = System.nanoTime();
    if (now >= windowEnd) {
      finished.countDown();
      return;
    }
    int i = next.getAndIncrement();
    if (i >= envelopes.size()) {
      ranOutAt.accumulateAndGet(now, Math::min);
      finished.countDown();
      return;
    }
    o.due[i] = now;
    pusher.push(url, PushMessage.OUTAGE_STATUS_CHANGE_ACTION, envelopes.get(i)).onComplete(ar -> {
      o.record(i, ar);
      sendNext(pusher, url, envelopes, o, next, ranOutAt, windowEnd, finished);
    });
  }

  /**
   * Open loop: push {@code i} is due at start + i/rate whatever the answers do, sent over up to
   * {@code connections} connections; latency counts from when it was due (so a queue in front of
   * a slow receiver shows, no coordinated omission). The window is the pushes due after warm-up.
   */
  Run fixedRate(String label, String url, List<byte[]> envelopes, int rate, int connections, Duration warmup,
      Duration measure, java.nio.file.Path trace) throws Exception {
    int n = (int) Math.min(envelopes.size(), (long) rate * (warmup.toSeconds() + measure.toSeconds()));
    Outcomes o = new Outcomes(n);
    CountDownLatch answered = new CountDownLatch(n);
    double interval = 1e9 / rate;
    long start = System.nanoTime() + 50_000_000L;
    try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(connections)
        .timeout(Duration.ofSeconds(30)))) {
      for (int i = 0; i < n; i++) {
        long due = start + (long) (i * interval);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        int idx = i;
        o.due[idx] = due;
        byte[] body = envelopes.get(idx);
        contexts.get(idx % contexts.size()).runOnContext(v ->
            pusher.push(url, PushMessage.OUTAGE_STATUS_CHANGE_ACTION, body).onComplete(ar -> {
              o.record(idx, ar);
              answered.countDown();
            }));
      }
      if (!answered.await(90, TimeUnit.SECONDS)) {
        throw new IllegalStateException(label + ": answers missing after 90 s");
      }
    }
    long windowStart = start + warmup.toNanos();
    long windowEnd = windowStart + measure.toNanos();
    boolean ranOut = envelopes.size() < (long) rate * (warmup.toSeconds() + measure.toSeconds());
    if (trace != null) {
      writeTrace(trace, o, n, start);
    }
    return summarize(label, connections, o, n, windowStart, windowEnd, ranOut, true);
  }

  /** One line per push: due (ms after the first was due), ack latency ms, status; to see when slow pushes happen. */
  private static void writeTrace(java.nio.file.Path file, Outcomes o, int n, long start) throws java.io.IOException {
    long epochStartMs = System.currentTimeMillis() - (System.nanoTime() - start) / 1_000_000;
    StringBuilder b = new StringBuilder("# first push due at " + java.time.Instant.ofEpochMilli(epochStartMs)
        + "\n# due_ms latency_ms status\n");
    for (int i = 0; i < n; i++) {
      b.append(String.format(java.util.Locale.ROOT, "%.1f %.1f %d%n", (o.due[i] - start) / 1e6,
          o.done[i] == 0 ? Double.NaN : (o.done[i] - o.due[i]) / 1e6, o.done[i] == 0 ? 0 : o.status[i]));
    }
    java.nio.file.Files.writeString(file, b);
  }

  /**
   * All at once: every envelope sent at the same moment over its own connection; waits for all
   * answers (up to {@code limit}).
   */
  Run burst(String label, String url, String soapAction, List<byte[]> envelopes, Duration limit) throws Exception {
    int n = envelopes.size();
    Outcomes o = new Outcomes(n);
    CountDownLatch answered = new CountDownLatch(n);
    long start = System.nanoTime();
    try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(n).timeout(limit))) {
      for (int i = 0; i < n; i++) {
        int idx = i;
        o.due[idx] = start;
        contexts.get(idx % contexts.size()).runOnContext(v ->
            pusher.push(url, soapAction, envelopes.get(idx)).onComplete(ar -> {
              o.record(idx, ar);
              answered.countDown();
            }));
      }
      answered.await(limit.toSeconds() + 30, TimeUnit.SECONDS);
    }
    long end = Arrays.stream(o.done).max().orElse(start);
    return summarize(label, n, o, n, start, end + 1, false, false);
  }

  private static Run summarize(String label, int concurrency, Outcomes o, int sent, long windowStart, long windowEnd,
      boolean ranOut, boolean byDueTime) {
    List<Double> lat = new ArrayList<>();
    java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    int acked = 0;
    int failed = 0;
    int ackedByAnswerTime = 0;
    java.util.Map<Integer, Integer> all = new java.util.TreeMap<>();
    for (int i = 0; i < sent; i++) {
      all.merge(o.done[i] == 0 ? 0 : o.status[i], 1, Integer::sum);
      if (o.status[i] == 200 && o.done[i] >= windowStart && o.done[i] < windowEnd) {
        ackedByAnswerTime++;
      }
      if (o.done[i] == 0) {
        statuses.merge(0, 1, Integer::sum); // never answered
        continue;
      }
      long t = byDueTime ? o.due[i] : o.done[i];
      if (t < windowStart || t >= windowEnd) {
        continue;
      }
      statuses.merge(o.status[i], 1, Integer::sum);
      if (o.status[i] == 200) {
        acked++;
        lat.add((o.done[i] - o.due[i]) / 1e6);
      } else {
        failed++;
      }
    }
    double[] sorted = lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double window = Math.max(0, windowEnd - windowStart) / 1e9;
    return new Run(label, concurrency, window, acked, failed, statuses, sorted, ranOut, sent, ackedByAnswerTime, all, java.util.Map.copyOf(o.failures));
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
