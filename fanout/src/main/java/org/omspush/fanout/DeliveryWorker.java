package org.omspush.fanout;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.omspush.store.fanout.ClaimOptions;
import org.omspush.store.fanout.ClaimedWork;
import org.omspush.store.fanout.DeliveryStore;
import org.omspush.store.fanout.DueDelivery;
import org.omspush.store.fanout.FailedAttempt;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.fanout.SubscriberSecret;
import org.omspush.store.fanout.SuccessfulAttempt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Sends due deliveries; one per replica. It claims work every poll interval, on a wake-up
 * ({@code LISTEN oms_event}, sent by producers after commit) and whenever a delivery finishes;
 * a claim leases deliveries within each subscriber's free slots (see {@code FanoutSql}), and no
 * transaction stays open while a subscriber answers.
 *
 * <p>An answer: 2xx = DELIVERED; 410 = dead letter and the subscriber is disabled; anything
 * else, a timeout, a refused connection or a destination the SSRF guard refuses = tried again
 * per the {@link RetrySchedule} (with 429 and 503 not before their {@code Retry-After}), and a
 * dead letter after the last attempt. A subscriber whose circuit breaker is open gets no
 * request: its due deliveries count an attempt each and are rescheduled, so a subscriber that
 * stays away longer than the schedule ends with dead letters an operator can replay.
 */
public final class DeliveryWorker extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
  /** The wake-up channel producers NOTIFY after committing events. */
  public static final String CHANNEL = "oms_event";
  private static final long MAX_RETRY_AFTER_MILLIS = Duration.ofDays(1).toMillis();
  /** 2xx answers are recorded together: at most this many in one statement… */
  private static final int RECORD_BATCH = 64;
  /** …gathered for at most this long. */
  private static final long RECORD_WINDOW_MILLIS = 3;

  private final DeliveryStore store;
  private final SubscriberHttp http;
  private final PayloadLinks links;
  private final FanoutSettings settings;
  private final FanoutMetrics metrics;
  private final PgConnectOptions listenTo;
  private final Clock clock;
  private final String owner = "fanout-" + UUID.randomUUID();
  private final String source;

  private int inFlight;
  private boolean claiming;
  private boolean again;
  private boolean stopping;
  private long pollTimer = -1;
  private long queueTimer = -1;
  private PgSubscriber listener;
  private final List<Success> successes = new ArrayList<>();
  private boolean recording;
  private long recordTimer = -1;

  /** @param listenTo where to LISTEN for wake-ups; null = poll only */
  public DeliveryWorker(DeliveryStore store, SubscriberHttp http, PayloadLinks links, FanoutSettings settings,
      FanoutMetrics metrics, PgConnectOptions listenTo, Clock clock) {
    this.store = store;
    this.http = http;
    this.links = links;
    this.settings = settings;
    this.metrics = metrics;
    this.listenTo = listenTo;
    this.clock = clock;
    this.source = CloudEvents.source(settings.instanceName());
  }

  @Override
  public Future<?> start() {
    pollTimer = vertx.setPeriodic(Math.max(10, settings.pollInterval().toMillis()), t -> claimSoon());
    queueTimer = vertx.setPeriodic(5_000, t -> store.queue()
        .onSuccess(q -> metrics.queue(q.pending(), q.oldestSeconds()))
        .onFailure(e -> log.debug("queue metrics: {}", e.toString())));
    if (listenTo != null) {
      listener = PgSubscriber.subscriber(vertx, listenTo).reconnectPolicy(retries -> 1_000L);
      listener.channel(CHANNEL).handler(payload -> claimSoon());
      listener.connect().onFailure(e -> log.warn("LISTEN {} failed ({}); polling every {}", CHANNEL, e.getMessage(),
          Durations.format(settings.pollInterval())));
    }
    log.info("delivery worker {} started: poll {}, timeout {}, retries {}, breaker after {} failures",
        owner, Durations.format(settings.pollInterval()), Durations.format(settings.deliveryTimeout()),
        settings.retrySchedule(), settings.breaker().threshold());
    claimSoon();
    return Future.succeededFuture();
  }

  /** Stops claiming, waits a little for deliveries in flight, and gives back the leases of the others. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(pollTimer);
    vertx.cancelTimer(queueTimer);
    Future<Void> closed = listener == null ? Future.succeededFuture() : listener.close().recover(e -> Future.succeededFuture());
    Promise<Void> drained = Promise.promise();
    long deadline = System.nanoTime() + Math.min(5_000, settings.deliveryTimeout().toMillis()) * 1_000_000L;
    waitForInFlight(drained, deadline);
    return closed.compose(v -> drained.future())
        .compose(v -> store.release(owner))
        .onSuccess(n -> {
          if (n > 0) {
            log.info("delivery worker {} stopped; gave back {} leases", owner, n);
          }
        })
        .recover(e -> Future.succeededFuture());
  }

  private void waitForInFlight(Promise<Void> drained, long deadline) {
    // a claim still running would otherwise lease deliveries after the release below
    if ((inFlight == 0 && !claiming) || System.nanoTime() > deadline) {
      drained.complete();
    } else {
      vertx.setTimer(50, t -> waitForInFlight(drained, deadline));
    }
  }

  /** A wake-up hint from any thread (e.g. a NOTIFY on {@value #CHANNEL} received elsewhere). */
  public void wake() {
    if (context != null) {
      context.runOnContext(v -> claimSoon());
    }
  }

  /** Claims now, or right after the claim that is running. */
  void claimSoon() {
    if (stopping) {
      return;
    }
    if (claiming) {
      again = true;
      return;
    }
    int room = settings.maxInFlight() - inFlight;
    if (room <= 0) {
      return;
    }
    claiming = true;
    again = false;
    ClaimOptions options = new ClaimOptions(owner, leaseMillis(), room, 256, 100,
        settings.breaker().threshold(), settings.inlinePayloadMax());
    store.claim(options).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        if (!stopping) {
          log.warn("claiming deliveries failed: {}", ar.cause().toString());
        }
        return;
      }
      ClaimedWork work = ar.result();
      metrics.outcome("skipped", work.skipped());
      if (stopping) {
        return; // claimed as the worker stopped: not sent, the release gives the leases back
      }
      for (DueDelivery d : work.deliveries()) {
        inFlight++;
        Subscriber s = work.subscribers().get(d.subscriberId());
        Future<Void> done = work.paused().contains(d.subscriberId()) ? circuitOpen(d, s) : attempt(d, s);
        done.onComplete(x -> {
          inFlight--;
          if (x.failed()) {
            about(log.atWarn(), d).log("recording delivery {} failed: {}", d.id(), x.cause().toString());
          }
          claimSoon();
        });
      }
      if (again || work.deliveries().size() == room) {
        claimSoon();
      }
    });
  }

  /** Long enough for the resolve, the connect and the whole timeout, with room to record the answer. */
  private long leaseMillis() {
    return settings.deliveryTimeout().toMillis() + 60_000;
  }

  private Future<Void> attempt(DueDelivery d, Subscriber s) {
    List<String> secrets = s.secrets().stream().map(SubscriberSecret::secret).toList();
    if (secrets.isEmpty()) {
      return retryOrDead(d, null, "the subscriber has no active secret to sign with", null, null, true);
    }
    return body(d).compose(body -> {
      long timestamp = clock.instant().getEpochSecond();
      String webhookId = d.id().toString();
      MultiMap headers = HttpHeaders.headers()
          .add("Content-Type", CloudEvents.CONTENT_TYPE)
          .add("User-Agent", "oms-push-receiver")
          .add("webhook-id", webhookId)
          .add("webhook-timestamp", Long.toString(timestamp))
          .add("webhook-signature", WebhookSignature.sign(webhookId, timestamp, body.getBytes(), secrets));
      return http.send(s, HttpMethod.POST, headers, body, settings.deliveryTimeout());
    }).transform(ar -> ar.succeeded() ? answered(d, s, ar.result()) : unanswered(d, ar.cause()));
  }

  /** The request body: the envelope, the payload inline (gunzipped off the event loop) or by URL. */
  private Future<Buffer> body(DueDelivery d) {
    if (d.payloadId() == null) {
      return Future.succeededFuture(CloudEvents.envelope(source, d, null).toBuffer());
    }
    if (d.payloadGzip() == null) {
      JsonObject payload = CloudEvents.linkedPayload(d.payloadContentType(), d.payloadSize(), d.payloadSha256(),
          links.url(d.payloadId(), clock.instant()));
      return Future.succeededFuture(CloudEvents.envelope(source, d, payload).toBuffer());
    }
    return vertx.executeBlocking(() -> {
      String xml = new String(Gzip.gunzip(d.payloadGzip().getBytes()), StandardCharsets.UTF_8);
      JsonObject payload = CloudEvents.inlinePayload(d.payloadContentType(), d.payloadSize(), d.payloadSha256(), xml);
      return CloudEvents.envelope(source, d, payload).toBuffer();
    }, false);
  }

  private Future<Void> answered(DueDelivery d, Subscriber s, SubscriberHttp.Answer a) {
    int status = a.status();
    if (status >= 200 && status < 300) {
      Success success = new Success(d, s, status, clock.instant(), Promise.promise());
      successes.add(success);
      if (successes.size() >= RECORD_BATCH) {
        recordSuccesses();
      } else if (recordTimer < 0) {
        recordTimer = vertx.setTimer(RECORD_WINDOW_MILLIS, t -> {
          recordTimer = -1;
          recordSuccesses();
        });
      }
      return success.recorded().future();
    }
    if (status == 410) {
      String reason = "answered 410 Gone at " + clock.instant() + " to delivery " + d.id();
      about(log.atWarn(), d).log("subscriber {} ({}) {}: disabled", s.id(), s.url(), reason);
      FailedAttempt gone = new FailedAttempt(d.id(), owner, d.attempt(), true, 0, status, "410 Gone: subscriber disabled",
          a.excerpt(), false, reason);
      return store.failed(gone, settings.breaker()).map(updated -> {
        if (updated) {
          metrics.outcome("gone", 1);
          metrics.deadLetter();
        }
        return null;
      });
    }
    Long retryAfter = status == 429 || status == 503 ? retryAfterMillis(a.headers().get("Retry-After")) : null;
    return retryOrDead(d, status, "HTTP " + status, a.excerpt(), retryAfter, true);
  }

  /**
   * Records the 2xx answers gathered so far in one statement; one batch at a time, the next
   * one gathers while it runs. Their leases (and slots) stay taken until it commits, so a
   * newer version of an outage is not claimed before the older one is recorded DELIVERED.
   */
  private void recordSuccesses() {
    if (recording || successes.isEmpty()) {
      return;
    }
    if (recordTimer >= 0) {
      vertx.cancelTimer(recordTimer);
      recordTimer = -1;
    }
    List<Success> batch = new ArrayList<>(successes);
    successes.clear();
    recording = true;
    List<SuccessfulAttempt> answers = new ArrayList<>(batch.size());
    batch.forEach(b -> answers.add(new SuccessfulAttempt(b.d().id(), b.d().attempt(), b.status())));
    store.delivered(answers, owner).onComplete(ar -> {
      recording = false;
      for (Success b : batch) {
        if (ar.failed()) {
          b.recorded().fail(ar.cause());
        } else if (ar.result().contains(b.d().id())) {
          Duration latency = Duration.between(b.d().eventCreatedAt().toInstant(), b.at());
          about(log.atInfo(), b.d()).log("delivery {} of event {} delivered to subscriber {} (HTTP {}, attempt {}, "
              + "{} ms after the event)", b.d().id(), b.d().eventId(), b.s().id(), b.status(), b.d().attempt(),
              latency.toMillis());
          metrics.delivered(latency);
          b.recorded().complete();
        } else {
          metrics.outcome("lease_lost", 1);
          b.recorded().complete();
        }
      }
      if (successes.size() >= RECORD_BATCH) {
        recordSuccesses();
      } else if (!successes.isEmpty() && recordTimer < 0) {
        recordTimer = vertx.setTimer(RECORD_WINDOW_MILLIS, t -> {
          recordTimer = -1;
          recordSuccesses();
        });
      }
    });
  }

  /** A 2xx answer waiting to be recorded; {@code at} is when it came. */
  private record Success(DueDelivery d, Subscriber s, int status, Instant at, Promise<Void> recorded) {}

  private Future<Void> unanswered(DueDelivery d, Throwable cause) {
    return retryOrDead(d, null, describe(cause), null, null, true);
  }

  /** A subscriber whose breaker is open: no request, but the attempt counts. */
  private Future<Void> circuitOpen(DueDelivery d, Subscriber s) {
    String error = "not sent: circuit breaker open until " + s.pausedUntil() + " after " + s.consecutiveFailures()
        + " failures in a row";
    return retryOrDead(d, null, error, null, null, false);
  }

  private Future<Void> retryOrDead(DueDelivery d, Integer status, String error, String excerpt, Long retryAfterMillis,
      boolean counts) {
    boolean dead = settings.retrySchedule().isLast(d.attempt());
    long delay = 0;
    if (!dead) {
      delay = settings.retrySchedule().delayAfter(d.attempt()).toMillis();
      if (retryAfterMillis != null) {
        delay = Math.max(delay, Math.min(retryAfterMillis, MAX_RETRY_AFTER_MILLIS));
      }
    }
    String fullError = dead ? error + " (attempt " + d.attempt() + " of " + settings.retrySchedule().attempts()
        + ", the last)" : error;
    FailedAttempt f = new FailedAttempt(d.id(), owner, d.attempt(), dead, delay, status, fullError, excerpt, counts, null);
    return store.failed(f, settings.breaker()).map(updated -> {
      if (!updated) {
        metrics.outcome("lease_lost", 1);
      } else if (dead) {
        metrics.outcome(counts ? "dead" : "circuit_open", 1);
        metrics.deadLetter();
        about(log.atInfo(), d).log("delivery {} of event {} to subscriber {} is a dead letter: {}", d.id(),
            d.eventId(), d.subscriberId(), fullError);
      } else {
        metrics.outcome(counts ? "retry" : "circuit_open", 1);
      }
      return null;
    });
  }

  /** The delivery's identifiers (and the push's MessageID and the outage's mRID, from the event) as key-value pairs. */
  private static LoggingEventBuilder about(LoggingEventBuilder line, DueDelivery d) {
    line = line.addKeyValue("deliveryId", d.id()).addKeyValue("eventId", d.eventId())
        .addKeyValue("subscriberId", d.subscriberId());
    String messageId = d.data() == null ? null : d.data().getString("messageId");
    String mrid = d.data() == null ? null : d.data().getString("outageMRID");
    if (messageId != null) {
      line = line.addKeyValue("messageId", messageId);
    }
    return mrid == null ? line : line.addKeyValue("mrid", mrid);
  }

  /** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
  static Long retryAfterMillis(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.strip();
    if (v.matches("\\d{1,9}")) {
      return Long.parseLong(v) * 1000;
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Math.max(0, Duration.between(Instant.now(), at).toMillis());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private String describe(Throwable cause) {
    if (cause instanceof TimeoutException) {
      return "no answer within " + Durations.format(settings.deliveryTimeout());
    }
    if (cause instanceof DestinationRefusedException) {
      return "refused by the SSRF guard: " + cause.getMessage();
    }
    if (cause instanceof ConnectException) {
      return "could not connect: " + cause.getMessage();
    }
    String m = cause.getMessage();
    return cause.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
