package org.omspush.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The participant's systems, as cheap as they get: {@code n} HTTP/1.1 servers on 127.0.0.1
 * (one verticle each, so each stays on one event loop), each answering 204 as soon as the body
 * is in. Each request's arrival time ({@link System#nanoTime()}, the same clock the load
 * generator uses) is recorded under the benchmark event it carries ({@code data.eventId}, made
 * by {@link FanoutPushes}); requests without one are only counted.
 */
final class FanoutSubscribers implements AutoCloseable {

  /** The events of one phase: first arrival per (subscriber, event), and what else came. */
  static final class Phase {
    final char tag;
    final int events;
    /** [subscriber][event]: nanoTime of the first arrival, 0 = not (yet) arrived. */
    final long[][] arrived;
    /** First arrivals counted; its volatile write publishes the {@link #arrived} slot set before it. */
    final AtomicLong firsts = new AtomicLong();
    final LongAdder duplicates = new LongAdder();
    final AtomicLong lastArrival = new AtomicLong();

    Phase(char tag, int subscribers, int events) {
      this.tag = tag;
      this.events = events;
      this.arrived = new long[subscribers][events];
    }
  }

  /** One whole request as a subscriber saw it (kept for the first delivery of each subscriber). */
  record Sample(MultiMap headers, byte[] body) {}

  private final Vertx vertx;
  private final String marker;
  private final int n;
  private final List<Integer> ports = new ArrayList<>();
  private final LongAdder[] requests;
  private final LongAdder unmarked = new LongAdder();
  private final Map<Character, Phase> phases = new ConcurrentHashMap<>();
  private final List<AtomicReference<Sample>> firstSample = new ArrayList<>();

  /**
   * @param marker the prefix of the benchmark's event ids ({@link FanoutPushes#marker()}); a
   *               request's phase is the character after it and its index the digits after the next '-'
   */
  FanoutSubscribers(int n, String marker) throws Exception {
    this.n = n;
    this.marker = marker;
    this.requests = new LongAdder[n];
    // its own Vert.x (event loops) apart from the load generator's, like a separate system would be
    this.vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(false));
    for (int i = 0; i < n; i++) {
      requests[i] = new LongAdder();
      firstSample.add(new AtomicReference<>());
      int index = i;
      int[] port = new int[1];
      vertx.deployVerticle(new VerticleBase() {
        private HttpServer server;

        @Override
        public Future<?> start() {
          server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
              .setTcpNoDelay(true).setIdleTimeout(120));
          return server.requestHandler(req -> handle(index, req)).listen().onSuccess(s -> port[0] = s.actualPort());
        }
      }, new DeploymentOptions()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      ports.add(port[0]);
    }
  }

  String url(int i) {
    return "http://127.0.0.1:" + ports.get(i) + "/hook/" + i;
  }

  int port(int i) {
    return ports.get(i);
  }

  int size() {
    return n;
  }

  /** Starts recording a phase's events (call before its first push). */
  Phase phase(char tag, int events) {
    Phase p = new Phase(tag, n, events);
    phases.put(tag, p);
    return p;
  }

  /** Requests that came to all subscribers so far, of any kind. */
  long requests() {
    long sum = 0;
    for (LongAdder a : requests) {
      sum += a.sum();
    }
    return sum;
  }

  long requests(int subscriber) {
    return requests[subscriber].sum();
  }

  /** Requests whose body carried no benchmark event id (the direct baseline's). */
  long unmarked() {
    return unmarked.sum();
  }

  /** The first request of a subscriber with a benchmark event in it, or null. */
  Sample firstSample(int subscriber) {
    return firstSample.get(subscriber).get();
  }

  private void handle(int subscriber, HttpServerRequest req) {
    long t = System.nanoTime();
    req.body().onComplete(ar -> {
      requests[subscriber].increment();
      if (ar.succeeded()) {
        record(subscriber, t, req.headers(), ar.result());
      }
      req.response().setStatusCode(204).end();
    });
  }

  private void record(int subscriber, long t, MultiMap headers, Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8);
    int k = text.indexOf(marker);
    int tagAt = k + marker.length();
    if (k < 0 || tagAt + 2 >= text.length()) {
      unmarked.increment();
      return;
    }
    Phase p = phases.get(text.charAt(tagAt));
    int start = tagAt + 2;
    int end = start;
    while (end < text.length() && Character.isDigit(text.charAt(end))) {
      end++;
    }
    if (p == null || end == start) {
      unmarked.increment();
      return;
    }
    int index = Integer.parseInt(text, start, end, 10);
    if (index < 0 || index >= p.events) {
      unmarked.increment();
      return;
    }
    if (p.arrived[subscriber][index] != 0) {
      p.duplicates.increment();
      return;
    }
    p.arrived[subscriber][index] = t;
    p.lastArrival.accumulateAndGet(t, Math::max);
    p.firsts.incrementAndGet();
    if (firstSample.get(subscriber).get() == null) {
      firstSample.get(subscriber).compareAndSet(null, new Sample(MultiMap.caseInsensitiveMultiMap().addAll(headers),
          body.getBytes()));
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
