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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;

/**
 * The ISO side of the fan-out benchmark: market events without a claim check (so each is the
 * whole event and goes to the outbox in the ingest statement), signed beforehand, pushed over
 * mutual TLS with the ISO push certificate by isosim's {@link Pusher}, at a fixed rate or in a
 * closed loop. Event {@code i} of phase {@code p} has the id {@code marker() + p + "-" + i}, which
 * is how {@link FanoutSubscribers} ties a delivery to its push.
 */
final class FanoutPushes implements AutoCloseable {
  static final int FAILED = -1;

  private final DevPki pki;
  private final PushSigner signer;
  private final Vertx vertx;
  private final List<Context> contexts = new CopyOnWriteArrayList<>();
  private final String marker = "EVF" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "-";
  private final int signingThreads = Runtime.getRuntime().availableProcessors();

  FanoutPushes(DevPki pki) throws Exception {
    this.pki = pki;
    this.signer = PushSigner.of(pki.isoPushClient());
    this.vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(false));
    int loops = io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The prefix of every event id this run pushes. */
  String marker() {
    return marker;
  }

  /** Signs events {@code 0..n-1} of phase {@code tag} on all cores, in index order. */
  List<byte[]> sign(char tag, int n) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    LocalDate tradeDate = LocalDate.now().plusDays(1);
    byte[][] out = new byte[n][];
    ExecutorService pool = Executors.newFixedThreadPool(signingThreads);
    try {
      AtomicInteger next = new AtomicInteger();
      List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
      for (int t = 0; t < signingThreads; t++) {
        tasks.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            MarketEvent event = new MarketEvent(marker + tag + "-" + i, "RESULTS_PUBLISHED", i % 2 == 0 ? "DAM" : "RTM",
                tradeDate, now, "fan-out benchmark event", null);
            out[i] = signer.sign(PushMessage.marketEvent(event).build(), PushSigner.Algorithm.RSA_SHA256);
          }
        }));
      }
      for (var task : tasks) {
        task.get();
      }
    } finally {
      pool.shutdown();
    }
    return java.util.Arrays.asList(out);
  }

  /** Per push: when it was due, when its answer came (nanoTime), its HTTP status or {@link #FAILED}. */
  static final class Sent {
    final long[] due;
    final long[] done;
    final int[] status;
    final Map<String, Integer> failures = new ConcurrentSkipListMap<>();
    /** How many were sent (closed loop: until the window ended or the envelopes ran out). */
    int sent;
    long start;
    long end;
    boolean ranOut;

    Sent(int n) {
      due = new long[n];
      done = new long[n];
      status = new int[n];
    }

    void record(int i, io.vertx.core.AsyncResult<org.omspush.isosim.push.PushResult> ar) {
      done[i] = System.nanoTime();
      if (ar.succeeded()) {
        status[i] = ar.result().statusCode();
      } else {
        status[i] = FAILED;
        failures.merge(ar.cause().getClass().getSimpleName() + ": " + ar.cause().getMessage(), 1, Integer::sum);
      }
    }

    int accepted() {
      int ok = 0;
      for (int i = 0; i < sent; i++) {
        if (status[i] == 200) {
          ok++;
        }
      }
      return ok;
    }

    /** Answers other than 200, by status (0 = none came, -1 = failed without an answer). */
    Map<Integer, Integer> errors() {
      Map<Integer, Integer> m = new java.util.TreeMap<>();
      for (int i = 0; i < sent; i++) {
        if (status[i] != 200) {
          m.merge(done[i] == 0 ? 0 : status[i], 1, Integer::sum);
        }
      }
      return m;
    }
  }

  /**
   * Open loop: push {@code i} is due at start + i/rate whatever the answers do (so a slow
   * receiver shows in the latency, no coordinated omission), over up to {@code connections}.
   * Returns when all are answered.
   */
  Sent fixedRate(String url, List<byte[]> envelopes, int rate, int connections) throws Exception {
    int n = envelopes.size();
    Sent o = new Sent(n);
    CountDownLatch answered = new CountDownLatch(n);
    double interval = 1e9 / rate;
    long start = System.nanoTime() + 50_000_000L;
    o.start = start;
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
            pusher.push(url, PushMessage.MARKET_EVENT_ACTION, body).onComplete(ar -> {
              o.record(idx, ar);
              answered.countDown();
            }));
      }
      o.sent = n;
      o.end = start + (long) (n * interval);
      if (!answered.await(90, TimeUnit.SECONDS)) {
        throw new IllegalStateException("fixed rate: answers missing after 90 s");
      }
    }
    return o;
  }

  /**
   * Closed loop: {@code concurrency} senders, each pushing its next event as soon as the last
   * one is answered, for {@code length}; stops early when the envelopes run out.
   */
  Sent closedLoop(String url, List<byte[]> envelopes, int concurrency, Duration length) throws Exception {
    int n = envelopes.size();
    Sent o = new Sent(n);
    AtomicInteger next = new AtomicInteger();
    AtomicLong ranOutAt = new AtomicLong(Long.MAX_VALUE);
    CountDownLatch finished = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    long end = start + length.toNanos();
    o.start = start;
    try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki).poolSize(concurrency)
        .timeout(Duration.ofSeconds(30)))) {
      for (int w = 0; w < concurrency; w++) {
        contexts.get(w % contexts.size()).runOnContext(v -> sendNext(pusher, url, envelopes, o, next, ranOutAt, end,
            finished));
      }
      if (!finished.await(length.toSeconds() + 90, TimeUnit.SECONDS)) {
        throw new IllegalStateException("closed loop: senders did not finish");
      }
    }
    o.sent = Math.min(next.get(), n);
    o.ranOut = ranOutAt.get() < end;
    o.end = Math.min(end, ranOutAt.get());
    return o;
  }

  private void sendNext(Pusher pusher, String url, List<byte[]> envelopes, Sent o, AtomicInteger next,
      AtomicLong ranOutAt, long end, CountDownLatch finished) {
    long now = System.nanoTime();
    if (now >= end) {
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
    pusher.push(url, PushMessage.MARKET_EVENT_ACTION, envelopes.get(i)).onComplete(ar -> {
      o.record(i, ar);
      sendNext(pusher, url, envelopes, o, next, ranOutAt, end, finished);
    });
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
