package org.omspush.receiver.push;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
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
import org.omspush.store.PushStore;
import org.omspush.store.StoreOutcome;
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

  private final String path;
  private final PushIdentities identities;
  private final PushReader reader;
  private final PushStore store;
  private final WorkerExecutor verifiers;
  private final InflightBudget budget;
  private final long maxBodyBytes;
  private final MeterRegistry metrics;
  private final Timer ackLatency;
  private final java.util.function.Consumer<VerifiedPush> afterCommit;
  private final HandshakeFailures handshakeFailures;

  public PushEndpoint(String path, PushIdentities identities, PushReader reader, PushStore store,
      WorkerExecutor verifiers, InflightBudget budget, long maxBodyBytes, MeterRegistry metrics,
      java.util.function.Consumer<VerifiedPush> afterCommit) {
    this.afterCommit = afterCommit;
    this.path = path;
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
  }

  /** A connection that failed before its first request (the TLS handshake: untrusted, revoked). */
  public void connectionFailed(Throwable e) {
    handshakeFailures.failed(e);
  }

  public void handle(HttpServerRequest req) {
    req.pause();
    long started = System.nanoTime();
    String action = PushReader.unquote(req.getHeader("SOAPAction"));
    try {
      if (!path.equals(req.path())) {
        req.response().setStatusCode(404).end();
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
      budget.acquire(InflightBudget.MEMORY_PER_BODY_BYTE * (declared >= 0 ? declared : maxBodyBytes))
          .onSuccess(reserved -> readBody(req, declared)
              .compose(body -> verifiers.<VerifiedPush>executeBlocking(() -> reader.read(body, action, client), false))
              .compose(push -> store(push)
                  .map(outcome -> new Stored(push, outcome))
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

  private record Stored(VerifiedPush push, StoreOutcome outcome) {}

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

  private Future<byte[]> readBody(HttpServerRequest req, long declared) {
    io.vertx.core.Promise<byte[]> done = io.vertx.core.Promise.promise();
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

  private Future<StoreOutcome> store(VerifiedPush push) {
    if (push.body() instanceof ParsedPush.Outage o) {
      return store.storeOutageChange(push.message(), o.change());
    }
    return store.storeMarketEvent(push.message(), ((ParsedPush.Market) push.body()).event());
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
      about(log.atWarn(), push).log("push duplicate with a different body messageId={} action={}: first body kept",
          messageId, push.message().action());
    } else {
      about(log.atInfo(), push).log("push {} messageId={} action={} {}",
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
  private static LoggingEventBuilder about(LoggingEventBuilder line, VerifiedPush push) {
    line = line.addKeyValue("messageId", push.message().messageId()).addKeyValue("action", push.message().action());
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
    PushFault fault;
    String messageId = null;
    if (cause instanceof StoreFailed f) {
      messageId = f.messageId;
      cause = f.getCause();
    }
    if (cause instanceof PushRejectedException r) {
      fault = r.fault();
      messageId = r.messageId();
    } else if (cause instanceof org.omspush.store.StoreRejectedException) {
      fault = PushFault.of(Reason.INVALID_BODY, "The push was refused by the receiver's database checks: "
          + cause.getMessage());
    } else if (cause instanceof StoreUnavailableException) {
      fault = PushFault.of(Reason.STORAGE_UNAVAILABLE,
          "The receiver's database is unavailable; the push was not stored. Retry later with the same MessageID");
    } else {
      fault = PushFault.of(Reason.INTERNAL_ERROR, "The receiver failed to process the push; it was not stored");
    }
    String client = subjectOrNone(req);
    LoggingEventBuilder line;
    if (fault.reason() == Reason.STORAGE_UNAVAILABLE) {
      // Expected while the database restarts: one line, no stack trace.
      line = log.atWarn().setMessage("push not stored reason={} status=503 messageId={} action={}: {}")
          .addArgument(fault.reason().code()).addArgument(messageId).addArgument(action)
          .addArgument(cause.getMessage());
    } else if (fault.reason().clientFault()) {
      line = log.atWarn().setMessage("push refused reason={} status={} messageId={} action={} client={}: {}")
          .addArgument(fault.reason().code()).addArgument(fault.reason().httpStatus()).addArgument(messageId)
          .addArgument(action).addArgument(client).addArgument(fault.description());
    } else {
      line = log.atError().setMessage("push failed reason={} status={} messageId={} action={} client={}")
          .addArgument(fault.reason().code()).addArgument(fault.reason().httpStatus()).addArgument(messageId)
          .addArgument(action).addArgument(client).setCause(cause);
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
    if (req.isEnded()) {
      send(res, status, answer);
      return;
    }
    // The body is still unread. Closing a socket with unread input resets the connection,
    // which can destroy the fault before the sender reads it: read the rest first (discarding
    // it, within bounds), then answer and close.
    res.putHeader(HttpHeaders.CONNECTION, "close");
    long[] discarded = {0};
    long limit = 2 * maxBodyBytes;
    boolean[] answered = {false};
    Runnable answerOnce = () -> {
      if (!answered[0] && !res.ended() && !res.closed()) {
        answered[0] = true;
        send(res, status, answer);
      }
    };
    req.handler(chunk -> {
      discarded[0] += chunk.length();
      if (discarded[0] > limit) {
        answerOnce.run();
        req.connection().close();
      }
    });
    req.endHandler(v -> answerOnce.run());
    req.exceptionHandler(e -> req.connection().close());
    req.resume();
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
