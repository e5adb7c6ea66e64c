package org.omspush.isosim.server;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Faults the stand-in ISO injects, settable at any time from any thread, for one service
 * ({@link #service}) or for all ({@link #all}). The "next N calls" faults count down: a call
 * uses its service's count first, then the global one. Only calls past the AUP are affected
 * (except {@link Rules#forceAupNext}, which acts at the edge). Latency of the service and the
 * global latency add up.
 *
 * <pre>{@code
 * sim.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).failNext(2);
 * sim.faults().all().latency(Duration.ofMillis(300));
 * sim.faults().clear();
 * }</pre>
 */
public final class Faults {

  /** The kinds of countdown faults. */
  enum Kind {
    /** 503 with a soap:Server fault. */
    FAIL,
    /** No answer at all: the client times out. */
    HANG,
    /** 403 with a fault saying the certificate has no access to the service. */
    DENY,
    /** The attachment hash is the hash of something else. */
    CORRUPT_HASH,
    /** The AUP page, whatever the window says. */
    FORCE_AUP,
    /** The request reaches the ISO late (a slow network or a paused sender). */
    LATE_ARRIVAL
  }

  private final Rules global = new Rules();
  private final AtomicReference<SlowRequest> slow = new AtomicReference<>();

  /** Requests whose body holds this text (a token, an mRID) wait this long before their answer. */
  private record SlowRequest(byte[] text, Duration delay) {}
  private final Map<RetrieveService, Rules> byService = new EnumMap<>(RetrieveService.class);

  Faults() {
    for (RetrieveService service : RetrieveService.values()) {
      byService.put(service, new Rules());
    }
  }

  /** The rules for every service. */
  public Rules all() {
    return global;
  }

  /** The rules for one service. */
  public Rules service(RetrieveService service) {
    return byService.get(Objects.requireNonNull(service, "service"));
  }

  /**
   * Every call whose request body contains {@code text} (a claim-check token, an mRID: one
   * document) waits {@code delay} before its answer, as for a very large document; other calls
   * are not slowed. Until {@link #clear()}.
   */
  public Faults slowWhenRequestContains(String text, Duration delay) {
    if (text.isEmpty() || delay.isNegative()) {
      throw new IllegalArgumentException("a text and a delay not negative are needed");
    }
    slow.set(new SlowRequest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), delay));
    return this;
  }

  /** The delay for a request with this body (zero unless it holds the slow text). */
  Duration latencyFor(byte[] body) {
    SlowRequest s = slow.get();
    return s == null || body == null || indexOf(body, s.text()) < 0 ? Duration.ZERO : s.delay();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Clears every fault, global and per service. */
  public void clear() {
    slow.set(null);
    global.clear();
    byService.values().forEach(Rules::clear);
  }

  /** Takes one of the next-N faults of this kind for the service, if any is left. */
  boolean take(RetrieveService service, Kind kind) {
    return service(service).take(kind) || global.take(kind);
  }

  /** How late the call's arrival is, when a late-arrival fault is left for the service (else zero). */
  Duration lateArrival(RetrieveService service) {
    if (service(service).take(Kind.LATE_ARRIVAL)) {
      return service(service).lateBy.get();
    }
    return global.take(Kind.LATE_ARRIVAL) ? global.lateBy.get() : Duration.ZERO;
  }

  /** The latency to add to a call of the service. */
  Duration latency(RetrieveService service) {
    return service(service).latency.get().plus(global.latency.get());
  }

  /** Fault settings for one scope; setters return this for chaining. */
  public static final class Rules {
    private final AtomicReference<Duration> latency = new AtomicReference<>(Duration.ZERO);
    private final AtomicReference<Duration> lateBy = new AtomicReference<>(Duration.ZERO);
    private final Map<Kind, AtomicInteger> next = new EnumMap<>(Kind.class);

    private Rules() {
      for (Kind kind : Kind.values()) {
        next.put(kind, new AtomicInteger());
      }
    }

    /** Adds this delay before every answer (Duration.ZERO for none). */
    public Rules latency(Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative");
      }
      latency.set(delay);
      return this;
    }

    /** The next {@code calls} calls get 503 with a soap:Server fault ("retry later"). */
    public Rules failNext(int calls) {
      return set(Kind.FAIL, calls);
    }

    /** The next {@code calls} calls get no answer at all (the client's timeout fires). */
    public Rules hangNext(int calls) {
      return set(Kind.HANG, calls);
    }

    /** The next {@code calls} calls get 403: the certificate has no access to the service. */
    public Rules denyNext(int calls) {
      return set(Kind.DENY, calls);
    }

    /** The next {@code calls} attachment answers carry the hash of something else. */
    public Rules corruptHashNext(int calls) {
      return set(Kind.CORRUPT_HASH, calls);
    }

    /** The next {@code calls} calls get the AUP page whatever their timing (violations). */
    public Rules forceAupNext(int calls) {
      return set(Kind.FORCE_AUP, calls);
    }

    /**
     * The next {@code calls} requests reach the ISO {@code delay} after the client sent them, as
     * over a slow network: the ISO stamps (and applies the AUP to) the late arrival.
     */
    public Rules arriveLateNext(int calls, Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative");
      }
      lateBy.set(delay);
      return set(Kind.LATE_ARRIVAL, calls);
    }

    /** Clears latency and every countdown of this scope. */
    public Rules clear() {
      latency.set(Duration.ZERO);
      lateBy.set(Duration.ZERO);
      next.values().forEach(count -> count.set(0));
      return this;
    }

    private Rules set(Kind kind, int calls) {
      if (calls < 0) {
        throw new IllegalArgumentException("a number of calls must not be negative");
      }
      next.get(kind).set(calls);
      return this;
    }

    private boolean take(Kind kind) {
      AtomicInteger count = next.get(kind);
      while (true) {
        int left = count.get();
        if (left <= 0) {
          return false;
        }
        if (count.compareAndSet(left, left - 1)) {
          return true;
        }
      }
    }
  }
}
