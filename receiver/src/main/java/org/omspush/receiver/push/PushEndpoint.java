package org.omspush.receiver.push;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.omspush.claimcheck.push.ParsedPush;
import org.omspush.claimcheck.push.PushFault;
import org.omspush.claimcheck.push.PushFault.Reason;
import org.omspush.claimcheck.push.PushIdentities;
import org.omspush.claimcheck.push.PushReader;
import org.omspush.claimcheck.push.PushRejectedException;
import org.omspush.claimcheck.push.StandardOutput;
import org.omspush.claimcheck.push.VerifiedPush;
import org.omspush.receiver.ops.IncidentId;
import org.omspush.receiver.participants.Participants;
import org.omspush.store.ParticipantKey;
import org.omspush.store.PushStore;
import org.omspush.store.StoreOutcome;
import org.omspush.store.StoreRejectedException;
import org.omspush.store.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The ISO's push endpoint: checks the caller, reads the body within the limits, verifies it on a
 * worker thread, stores it, and answers 200 only after the commit.
 */
public final class PushEndpoint {
  private static final Logger log = LoggerFactory.getLogger(PushEndpoint.class);

  /**
   * How long a refused request's connection stays open after its answer, reading and discarding
   * what the sender still sends, so that closing it does not reset the answer away.
   */
  static final long REFUSAL_LINGER_MS = 2_000;

  private final Vertx vertx;
  private final PushLimits limits;
  private final String path;
  private final Participants participants;
  private final PushIdentities identities;
  private final PushReader reader;
  private final PushStore store;
  private final WorkerExecutor verifiers;
  private final InflightBudget budget;
  private final long maxBodyBytes;
  private final MeterRegistry metrics;
  private final Timer ackLatency;
  private final java.util.function.Consumer<VerifiedPush> afterCommit;
  private final ServiceDescription description = new ServiceDescription();
  private final HandshakeFailures handshakeFailures;

  public PushEndpoint(Vertx vertx, String path, Participants participants, PushIdentities identities,
      PushReader reader, PushStore store, WorkerExecutor verifiers, InflightBudget budget, PushLimits limits,
      long maxBodyBytes, MeterRegistry metrics,
      java.util.function.Consumer<VerifiedPush> afterCommit) {
    this.vertx = vertx;
    this.limits = limits;
    this.afterCommit = afterCommit;
    this.path = path;
    this.participants = participants;
    this.identities = identities;
    this.reader = reader;
    this.store = store;
    this.verifiers = verifiers;
    this.budget = budget;
    this.maxBodyBytes = maxBodyBytes;
    this.metrics = metrics;
    this.handshakeFailures = new HandshakeFailures(metrics);
    this.ackLatency = Timer.builder("oms.push.ack.latency")
        .description("Time from request to acknowledgement of a stored push")
        .publishPercentileHistogram()
        .register(metrics);
    Gauge.builder("oms.push.inflight.waiting", budget, InflightBudget::waiting)
        .description("Pushes waiting, paused, for the in-flight memory budget")
        .register(metrics);
    Gauge.builder("oms.push.inflight.bytes", budget, InflightBudget::used)
        .description("In-flight memory budget reserved by pushes being read, verified or stored")
        .baseUnit("bytes")
        .register(metrics);
  }

  /** A connection that failed before its first request (the TLS handshake: untrusted, revoked). */
  public void connectionFailed(Throwable e) {
    handshakeFailures.failed(e);
  }

  /**
   * Answers one request.
   *
   * @param gone completes when the connection closes before the answer was sent
   */
  public void handle(HttpServerRequest req, Future<Void> gone) {
    req.pause();
    long started = System.nanoTime();
    String action = PushReader.unquote(req.getHeader("SOAPAction"));
    try {
      String participant = participant(req.path());
      if (participant == null) {
        req.response().setStatusCode(404).end();
        return;
      }
      if (!participants.isParticipant(participant)) {
        // Before the body is read: nothing of it is stored, and the sender learns it at once.
        throw new PushRejectedException(Reason.UNKNOWN_PARTICIPANT, (ParticipantKey.isValid(participant)
            ? "No participant '" + participant + "' is served at this endpoint"
            : "The path does not end in a participant key ([A-Za-z0-9_-]{1,32})")
            + "; check the URL registered in AIM");
      }
      if (description.answer(req)) {
        return;
      }
      if (req.method() != HttpMethod.POST) {
        req.response().putHeader(HttpHeaders.ALLOW, "POST");
        throw new PushRejectedException(Reason.METHOD_NOT_ALLOWED, "Pushes are sent with POST, not " + req.method());
      }
      X509Certificate client = clientCertificate(req);
      identities.check(client);
      checkContentType(req.getHeader(HttpHeaders.CONTENT_TYPE));
      if (!reader.knows(action)) {
        // Unknown before the body is read, so the sender learns it without uploading a payload.
        reader.read(new byte[0], action, client);
      }
      long declared = declaredLength(req);
      Future<Long> reservation =
          budget.acquire(InflightBudget.MEMORY_PER_BODY_BYTE * (declared >= 0 ? declared : maxBodyBytes));
      if (!reservation.isComplete()) {
        waitForBudget(req, action, reservation, gone);
      }
      reservation
          .onSuccess(reserved -> readBody(req, declared, gone)
              .compose(body -> verifiers.<VerifiedPush>executeBlocking(() -> reader.read(body, action, client), false))
              .compose(push -> store(push, participant)
                  .map(outcome -> new Stored(push, outcome, participant))
                  .recover(e -> Future.failedFuture(new StoreFailed(push.message().messageId(), e))))
              .onComplete(ar -> {
                budget.release(reserved);
                if (ar.succeeded()) {
                  acknowledge(req, ar.result(), started);
                } else {
                  refuse(req, action, ar.cause());
                }
              }));
    } catch (PushRejectedException e) {
      refuse(req, action, e);
    }
  }

  /**
   * A wait for the budget ends when it is granted, when the sender goes away (its place is
   * given up, so no reservation is left behind) or after the queue timeout (503 overloaded).
   */
  private void waitForBudget(HttpServerRequest req, String action, Future<Long> reservation, Future<Void> gone) {
    long timer = vertx.setTimer(Math.max(1, limits.queueTimeout().toMillis()), t -> {
      if (budget.withdraw(reservation)) {
        refuse(req, action, new PushRejectedException(Reason.OVERLOADED, "The receiver has too many pushes in flight "
            + "and this one waited " + limits.queueTimeout().toMillis() + " ms; it was not stored. Retry after "
            + retryAfterSeconds() + " s with the same MessageID"));
      }
    });
    reservation.onComplete(ar -> vertx.cancelTimer(timer));
    gone.onComplete(v -> {
      if (budget.withdraw(reservation)) {
        vertx.cancelTimer(timer);
        refuse(req, action, new SenderGone());
      }
    });
  }

  private long retryAfterSeconds() {
    return Math.max(1, limits.queueTimeout().toSeconds());
  }

  private record Stored(VerifiedPush push, StoreOutcome outcome, String participant) {}

  /** The connection closed before the push was answered: nobody to answer, nothing stored. */
  private static final class SenderGone extends RuntimeException {
    SenderGone() {
      super("the connection closed before the push was answered", null, false, false);
    }
  }

  /** A verified push the store did not take: keeps the MessageID for the log line. */
  private static final class StoreFailed extends RuntimeException {
    final String messageId;

    StoreFailed(String messageId, Throwable cause) {
      super(cause.getMessage(), cause, false, false);
      this.messageId = messageId;
    }
  }

  private static X509Certificate clientCertificate(HttpServerRequest req) throws PushRejectedException {
    try {
      List<Certificate> chain = req.connection().peerCertificates();
      if (chain != null && !chain.isEmpty() && chain.get(0) instanceof X509Certificate x) {
        return x;
      }
    } catch (SSLPeerUnverifiedException e) {
      // falls through: TLS is configured to require one, so this is a misconfiguration
    }
    throw new PushRejectedException(Reason.CLIENT_NOT_ALLOWED, "No client certificate was presented");
  }

  private static void checkContentType(String contentType) throws PushRejectedException {
    if (contentType == null) {
      throw new PushRejectedException(Reason.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type is missing; SOAP 1.1 pushes are sent as text/xml; charset=utf-8");
    }
    String[] parts = contentType.split(";");
    String type = parts[0].strip().toLowerCase(Locale.ROOT);
    if (!type.equals("text/xml")) {
      throw new PushRejectedException(Reason.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type " + type + " is not accepted; SOAP 1.1 pushes are sent as text/xml; charset=utf-8");
    }
    for (int i = 1; i < parts.length; i++) {
      String[] kv = parts[i].strip().split("=", 2);
      if (kv.length == 2 && kv[0].strip().equalsIgnoreCase("charset")) {
        String charset = kv[1].strip().replace("\"", "");
        if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
          throw new PushRejectedException(Reason.UNSUPPORTED_MEDIA_TYPE,
              "charset " + charset + " is not accepted; send utf-8");
        }
      }
    }
  }

  private long declaredLength(HttpServerRequest req) throws PushRejectedException {
    String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl == null) {
      return -1;
    }
    long n;
    try {
      n = Long.parseLong(cl.strip());
    } catch (NumberFormatException e) {
      throw new PushRejectedException(Reason.MALFORMED_XML, "Content-Length '" + cl + "' is not a number");
    }
    if (n > maxBodyBytes) {
      throw tooLarge(n);
    }
    return n;
  }

  private PushRejectedException tooLarge(long n) {
    return new PushRejectedException(Reason.TOO_LARGE,
        "The body (" + n + " bytes or more) is larger than this receiver's limit of " + maxBodyBytes + " bytes");
  }

  private Future<byte[]> readBody(HttpServerRequest req, long declared, Future<Void> gone) {
    Promise<byte[]> done = Promise.promise();
    // Also when it closed before the body was asked for: then no handler below would ever fire.
    gone.onComplete(v -> done.tryFail(new SenderGone()));
    Buffer body = Buffer.buffer(declared > 0 ? (int) declared : 16 * 1024);
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > maxBodyBytes) {
        done.tryFail(tooLarge(body.length() + chunk.length()));
        return;
      }
      body.appendBuffer(chunk);
    });
    req.exceptionHandler(done::tryFail);
    req.endHandler(v -> done.tryComplete(body.getBytes()));
    req.resume();
    return done.future();
  }

  private Future<StoreOutcome> store(VerifiedPush push, String participant) {
    var message = push.message().forParticipant(participant);
    if (push.body() instanceof ParsedPush.Outage o) {
      return store.storeOutageChange(message, o.change());
    }
    return store.storeMarketEvent(message, ((ParsedPush.Market) push.body()).event());
  }

  /**
   * The participant a path names: {@code {path}} is {@value ParticipantKey#DEFAULT}, {@code
   * {path}/{key}} is {@code key} (not checked here); null for any other path.
   */
  private String participant(String requested) {
    if (path.equals(requested)) {
      return ParticipantKey.DEFAULT;
    }
    if (requested != null && requested.startsWith(path) && requested.length() > path.length() + 1
        && requested.charAt(path.length()) == '/' && requested.indexOf('/', path.length() + 1) < 0) {
      return requested.substring(path.length() + 1);
    }
    return null;
  }

  private void acknowledge(HttpServerRequest req, Stored stored, long started) {
    VerifiedPush push = stored.push();
    String messageId = push.message().messageId();
    String what = describe(push.body());
    String description = switch (stored.outcome()) {
      case STORED -> what + " stored";
      case DUPLICATE -> "MessageID " + messageId + " was already stored; nothing changed";
      case DUPLICATE_CONFLICT -> "MessageID " + messageId
          + " was already stored with a different body; the first is kept";
    };
    if (stored.outcome() == StoreOutcome.DUPLICATE_CONFLICT) {
      about(log.atWarn(), stored).log("push duplicate with a different body messageId={} action={}: first body kept",
          messageId, push.message().action());
    } else {
      about(log.atInfo(), stored).log("push {} messageId={} action={} {}",
          stored.outcome().name().toLowerCase(Locale.ROOT), messageId, push.message().action(), what);
    }
    count(push.message().action(), stored.outcome().name().toLowerCase(Locale.ROOT));
    send(req.response(), 200, StandardOutput.success(description, Instant.now()));
    if (stored.outcome() == StoreOutcome.STORED) {
      afterCommit.accept(push);
    }
    ackLatency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** The push's identifiers as key-value pairs: fields of the JSON log line. */
  private static LoggingEventBuilder about(LoggingEventBuilder line, Stored stored) {
    VerifiedPush push = stored.push();
    line = line.addKeyValue("participant", stored.participant())
        .addKeyValue("messageId", push.message().messageId()).addKeyValue("action", push.message().action());
    if (push.body() instanceof ParsedPush.Outage o) {
      return line.addKeyValue("mrid", o.change().outageMRID());
    }
    return line.addKeyValue("marketEventId", ((ParsedPush.Market) push.body()).event().eventId());
  }

  private static String describe(ParsedPush body) {
    if (body instanceof ParsedPush.Outage o) {
      return "outage " + o.change().outageMRID() + " version " + o.change().version();
    }
    ParsedPush.Market m = (ParsedPush.Market) body;
    return "market event " + m.event().eventId() + " (" + m.event().eventType() + " " + m.event().market() + ")";
  }

  private void refuse(HttpServerRequest req, String action, Throwable cause) {
    String messageId = null;
    if (cause instanceof StoreFailed f) {
      messageId = f.messageId;
      cause = f.getCause();
    }
    if (cause instanceof SenderGone) {
      log.atInfo().setMessage("push abandoned: {} messageId={} action={} client={}").addArgument(cause.getMessage())
          .addArgument(messageId).addArgument(action).addArgument(subjectOrNone(req)).log();
      count(action, "abandoned");
      return;
    }
    PushFault fault;
    IncidentId incident = null;
    if (cause instanceof PushRejectedException r) {
      fault = r.fault();
      messageId = r.messageId();
    } else if (cause instanceof StoreUnavailableException || cause instanceof StoreRejectedException) {
      // The database's words (SQL, constraint names, SQLSTATE) go to our log, never to the sender.
      incident = IncidentId.next();
      fault = PushFault.of(Reason.STORAGE_UNAVAILABLE, "The receiver could not store the push; it was not stored. "
          + "Retry later with the same MessageID (incident " + incident + ")");
    } else {
      incident = IncidentId.next();
      fault = PushFault.of(Reason.INTERNAL_ERROR, "The receiver failed to process the push; it was not stored "
          + "(incident " + incident + ")");
    }
    String client = subjectOrNone(req);
    LoggingEventBuilder line;
    if (incident != null) {
      line = log.atError().setMessage("push failed reason={} status={} incident={} messageId={} action={} client={}: {}")
          .addArgument(fault.reason().code()).addArgument(fault.reason().httpStatus()).addArgument(incident)
          .addArgument(messageId).addArgument(action).addArgument(client).addArgument(cause.getMessage())
          .addKeyValue("incident", incident.value());
      // Expected while the database restarts: no stack trace then; a defect of ours gets one.
      if (!(cause instanceof StoreUnavailableException)) {
        line = line.setCause(cause);
      }
    } else {
      line = log.atWarn().setMessage("push refused reason={} status={} messageId={} action={} client={}: {}")
          .addArgument(fault.reason().code()).addArgument(fault.reason().httpStatus()).addArgument(messageId)
          .addArgument(action).addArgument(client).addArgument(fault.description());
    }
    if (messageId != null) {
      line = line.addKeyValue("messageId", messageId);
    }
    if (action != null) {
      line = line.addKeyValue("action", action);
    }
    line.log();
    count(action, fault.reason().code());
    HttpServerResponse res = req.response();
    if (res.ended() || res.closed()) {
      return;
    }
    byte[] answer = StandardOutput.fault(fault, Instant.now());
    int status = fault.reason().httpStatus();
    if (fault.reason() == Reason.OVERLOADED) {
      res.putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfterSeconds()));
    }
    if (req.isEnded()) {
      send(res, status, answer);
      return;
    }
    // The rest of the body is unread, and the answer does not need it: answer now, then close.
    // Closing a socket with unread input resets the connection, which can destroy the answer
    // before the sender reads it: for a short while, read and discard what still arrives.
    res.putHeader(HttpHeaders.CONNECTION, "close");
    res.headers().remove("Keep-Alive");
    send(res, status, answer);
    HttpConnection conn = req.connection();
    // A sender that announced its length is read to its end (within the linger): closing with
    // some of it unread would reset its answer away. One that did not is read up to the limit.
    long readable = Math.max(maxBodyBytes, announcedLength(req));
    long[] discarded = {0};
    req.handler(chunk -> {
      discarded[0] += chunk.length();
      if (discarded[0] > readable) {
        conn.close();
      }
    });
    req.endHandler(v -> conn.close());
    req.exceptionHandler(e -> conn.close());
    vertx.setTimer(REFUSAL_LINGER_MS, t -> conn.close());
    req.resume();
  }

  /** The Content-Length the sender announced, or -1 (none, or not a number). */
  private static long announcedLength(HttpServerRequest req) {
    try {
      return Long.parseLong(req.getHeader(HttpHeaders.CONTENT_LENGTH).strip());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String subjectOrNone(HttpServerRequest req) {
    try {
      List<Certificate> chain = req.connection().peerCertificates();
      if (chain != null && !chain.isEmpty() && chain.get(0) instanceof X509Certificate x) {
        return x.getSubjectX500Principal().getName();
      }
    } catch (SSLPeerUnverifiedException | RuntimeException e) {
      // none
    }
    return "none";
  }

  private void count(String action, String outcome) {
    // The action is sender-supplied: only known ones become tag values.
    String tag = reader.knows(action) ? action : "unknown";
    metrics.counter("oms.push.requests", "action", tag, "outcome", outcome).increment();
  }

  private static void send(HttpServerResponse res, int status, byte[] xml) {
    res.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, StandardOutput.CONTENT_TYPE)
        .end(Buffer.buffer(xml));
  }
}
