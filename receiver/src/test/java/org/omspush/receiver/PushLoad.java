package org.omspush.receiver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.isosim.push.Pusher;

/**
 * Load for the durability tests: {@code concurrency} loops, each pushing outage changes (a new
 * outage and MessageID every time) to one URL as fast as the answers come, until stopped. Every
 * answer is remembered with the sequence number its push was sent under, so a test can ask what
 * happened to the pushes sent after a given moment ({@link #mark()}).
 *
 * <p>Envelopes are signed ahead ({@link #presign}) so the loops mostly send; when the stock runs
 * out a loop signs its next push itself.
 */
final class PushLoad implements AutoCloseable {
  static final String OUTAGE = PushMessage.OUTAGE_STATUS_CHANGE_ACTION;
  private static final String RETRIEVE = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";
  private static final long PUSH_TIMEOUT_SECONDS = 60;

  /** What one push got: an HTTP answer ({@code result}) or a transport failure ({@code error}). */
  record Outcome(long seq, PushMessage message, PushResult result, Throwable error) {
    boolean acked() {
      return result != null && result.statusCode() == 200;
    }

    /** The 503 the contract prescribes when the database is down. */
    boolean storageUnavailable() {
      return result != null && result.statusCode() == 503
          && result.body().contains("<faultstring>storage_unavailable:");
    }

    String messageId() {
      return message.messageId();
    }

    @Override
    public String toString() {
      return "#" + seq + " " + message.messageId() + " -> " + (result != null
          ? result.statusCode() + " " + abbreviate(result.body())
          : "error " + error);
    }
  }

  private record Signed(PushMessage message, byte[] envelope) {}

  private final Pusher pusher;
  private final String url;
  private final PushSigner signer;
  private final int concurrency;
  private final LinkedBlockingQueue<Signed> stock = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicLong seq = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<Thread> loops = new ArrayList<>();
  private final ConcurrentLinkedQueue<Throwable> loopFailures = new ConcurrentLinkedQueue<>();
  private volatile Duration pauseAfterRefusal = Duration.ZERO;

  PushLoad(Pusher pusher, String url, PushSigner signer, int concurrency) {
    this.pusher = pusher;
    this.url = url;
    this.signer = signer;
    this.concurrency = concurrency;
  }

  /** A new outage (version 1, with a claim check) in a push with a new MessageID. */
  static PushMessage newOutageChange() {
    String mrid = "DUR-" + UUID.randomUUID().toString().substring(0, 30);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return PushMessage.outageStatusChange(new OutageStatusChange(mrid, "RESOURCE", 1, "APPROVED", null, now,
        new ClaimCheck("tok-" + mrid, RETRIEVE, now.plus(1, ChronoUnit.DAYS)))).build();
  }

  /** Signs {@code n} pushes ahead, in parallel. */
  PushLoad presign(int n) {
    IntStream.range(0, n).parallel().mapToObj(i -> sign(newOutageChange())).forEach(stock::add);
    return this;
  }

  private Signed sign(PushMessage m) {
    return new Signed(m, signer.sign(m, Algorithm.RSA_SHA256));
  }

  /**
   * After an answer other than 200 (or none), each loop waits this long before its next push, as
   * a sender that backs off does; by default it sends at once. Without a pause, loops that get
   * 503 at once sign and send as fast as they can, which on a small machine takes the CPU from
   * whatever the test measures meanwhile.
   */
  PushLoad pauseAfterRefusal(Duration pause) {
    this.pauseAfterRefusal = pause;
    return this;
  }

  /** Starts the loops; returns at once. */
  PushLoad start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already running");
    }
    for (int i = 0; i < concurrency; i++) {
      Thread t = new Thread(this::loop, "push-load-" + i);
      t.setDaemon(true);
      loops.add(t);
      t.start();
    }
    return this;
  }

  private void loop() {
    try {
      while (running.get()) {
        Signed next = stock.poll();
        if (next == null) {
          next = sign(newOutageChange());
        }
        Outcome o = send(seq.incrementAndGet(), next);
        outcomes.add(o);
        if (!o.acked() && !pauseAfterRefusal.isZero()) {
          Thread.sleep(pauseAfterRefusal.toMillis());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      loopFailures.add(e); // a bug of the test itself: shown by summary()
    }
  }

  private Outcome send(long n, Signed s) {
    try {
      PushResult r = pusher.push(url, OUTAGE, s.envelope()).await(PUSH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return new Outcome(n, s.message(), r, null);
    } catch (Throwable e) {
      return new Outcome(n, s.message(), null, e);
    }
  }

  /** The sequence number of the last push sent so far: pushes sent after this call have a larger one. */
  long mark() {
    return seq.get();
  }

  /** Stops the loops and waits (bounded) for the pushes in flight to be answered or to fail. */
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : loops) {
      t.join(TimeUnit.SECONDS.toMillis(PUSH_TIMEOUT_SECONDS + 10));
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " did not stop");
      }
    }
    loops.clear();
  }

  List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  List<Outcome> outcomes(Predicate<Outcome> which) {
    return outcomes.stream().filter(which).toList();
  }

  long count(Predicate<Outcome> which) {
    return outcomes.stream().filter(which).count();
  }

  /** MessageIDs of every push answered 200. */
  Set<String> ackedMessageIds() {
    return outcomes.stream().filter(Outcome::acked).map(Outcome::messageId).collect(Collectors.toSet());
  }

  /** A one-line summary of the answers, for assertion messages. */
  String summary() {
    Map<String, Long> byAnswer = outcomes.stream().collect(Collectors.groupingBy(
        o -> o.result() != null ? String.valueOf(o.result().statusCode()) : "error:" + o.error().getClass().getSimpleName(),
        Collectors.counting()));
    return outcomes.size() + " pushes " + byAnswer + (loopFailures.isEmpty() ? "" : "; load loops failed: " + loopFailures);
  }

  /**
   * Sends each message again, re-signed (fresh Timestamp and Nonce, same MessageID), as the ISO
   * retries; {@code concurrency} at a time. Call while the loops are stopped.
   */
  List<Outcome> retry(Collection<PushMessage> messages) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<Outcome>> answers = new ArrayList<>();
      for (PushMessage m : messages) {
        answers.add(pool.submit(() -> send(seq.incrementAndGet(), sign(m))));
      }
      List<Outcome> results = new ArrayList<>();
      for (Future<Outcome> f : answers) {
        try {
          results.add(f.get(PUSH_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS));
        } catch (ExecutionException | TimeoutException e) {
          throw new IllegalStateException("retry did not complete", e);
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The first few elements, for assertion messages about large collections. */
  static String some(Collection<?> items) {
    return items.stream().limit(10).map(String::valueOf).collect(Collectors.joining(", ", "[", items.size() > 10 ? ", ...]" : "]"));
  }

  static String abbreviate(String s) {
    String flat = s == null ? "" : s.replaceAll("\\s+", " ");
    return flat.length() <= 300 ? flat : flat.substring(0, 300) + "...";
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  // Small helpers the durability tests share.

  /** A TCP port free on loopback right now (a test binds it soon after; the race is accepted). */
  static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final HttpClient OPS = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  /** The status of GET /health/ready on the ops port, or -1 when nothing answers (within 5 s). */
  static int readyStatus(int opsPort) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort + "/health/ready"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    try {
      return OPS.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls {@code condition} every 100 ms until it holds; false when {@code limit} passed first. */
  static boolean eventually(Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(100);
    }
  }
}
