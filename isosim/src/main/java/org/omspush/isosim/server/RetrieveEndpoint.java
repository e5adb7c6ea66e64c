package org.omspush.isosim.server;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The ISO's HTTPS edge, on the event loop: takes the arrival time, applies the AUP and the
 * injected faults, reads the body (bounded), and hands the call to the {@link RetrieveDesk} on a
 * worker thread. Also serves {@code GET /isosim/stats}.
 */
final class RetrieveEndpoint implements Handler<HttpServerRequest> {

  static final String STATS_PATH = "/isosim/stats";

  private final Vertx vertx;
  private final WorkerExecutor workers;
  private final RetrieveDesk desk;
  private final AupPolicy aup;
  private final int aupStatus;
  private final Faults faults;
  private final CallLedger ledger;
  private final int maxRequestBytes;

  RetrieveEndpoint(Vertx vertx, WorkerExecutor workers, RetrieveDesk desk, AupPolicy aup,
      int aupStatus, Faults faults, CallLedger ledger, int maxRequestBytes) {
    this.vertx = vertx;
    this.workers = workers;
    this.desk = desk;
    this.aup = aup;
    this.aupStatus = aupStatus;
    this.faults = faults;
    this.ledger = ledger;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public void handle(HttpServerRequest request) {
    long arrival = System.nanoTime();
    String path = request.path();
    X509Certificate client = clientCertificate(request);
    if (client == null) {
      // TLS requires a client certificate, so this does not happen; refuse if it does.
      drain(request).onComplete(ignored -> plain(request.response(), 403, "client certificate required"));
      return;
    }
    if (STATS_PATH.equals(path)) {
      drain(request).onComplete(ignored -> request.response()
          .putHeader("Content-Type", "application/json")
          .end(ledger.snapshot().toJson().encode()));
      return;
    }
    if (!path.startsWith(RetrieveService.PATH_PREFIX)) {
      drain(request).onComplete(ignored -> plain(request.response(), 404, "not found"));
      return;
    }
    String pathService = path.substring(RetrieveService.PATH_PREFIX.length());
    Optional<RetrieveService> known = RetrieveService.byName(pathService);
    if (known.isEmpty()) {
      drain(request).onComplete(ignored -> workers
          .executeBlocking(() -> desk.unknownService(pathService), false)
          .onComplete(answer -> respond(request, answer.result())));
      return;
    }
    RetrieveService service = known.get();
    Duration late = faults.lateArrival(service);
    if (late.isZero()) {
      admit(request, client, service, pathService, arrival);
    } else {
      // Held back before the arrival is stamped, as if the network had delayed the request.
      request.pause();
      vertx.setTimer(Math.max(1, late.toMillis()), t -> {
        admit(request, client, service, pathService, System.nanoTime());
        request.resume();
      });
    }
  }

  private void admit(HttpServerRequest request, X509Certificate client, RetrieveService service, String pathService,
      long arrival) {
    boolean accepted = !faults.take(service, Faults.Kind.FORCE_AUP)
        && aup.admit(client, service, arrival);
    ledger.record(client.getSubjectX500Principal().getName(), service, arrival, accepted);
    readBody(request).onComplete(read -> {
      if (read.failed()) {
        return; // the connection is gone
      }
      if (!accepted) {
        request.response()
            .setStatusCode(aupStatus)
            .putHeader("Content-Type", AupPolicy.PAGE_CONTENT_TYPE)
            .end(AupPolicy.PAGE);
        return;
      }
      Duration latency = faults.latency(service).plus(faults.latencyFor(read.result()));
      Future<Void> waited = latency.isZero() ? Future.succeededFuture()
          : vertx.timer(latency.toMillis(), TimeUnit.MILLISECONDS).mapEmpty();
      waited.onComplete(ignored -> {
        if (faults.take(service, Faults.Kind.HANG)) {
          return; // no answer: the client's timeout fires
        }
        RetrieveDesk.Injected injected = RetrieveDesk.Injected.NONE;
        if (faults.take(service, Faults.Kind.DENY)) {
          injected = RetrieveDesk.Injected.DENY;
        } else if (faults.take(service, Faults.Kind.FAIL)) {
          injected = RetrieveDesk.Injected.FAIL;
        }
        RetrieveDesk.Call call = new RetrieveDesk.Call(service, pathService,
            request.method().name(), request.getHeader("Content-Type"),
            request.getHeader("SOAPAction"), read.result(), client, injected);
        workers.executeBlocking(() -> desk.answer(call), false)
            .onComplete(answer -> respond(request, answer.result()));
      });
    });
  }

  private void respond(HttpServerRequest request, RetrieveDesk.Answer answer) {
    HttpServerResponse response = request.response();
    if (response.closed() || response.ended()) {
      return;
    }
    if (answer == null) {
      plain(response, 500, "internal error");
      return;
    }
    response.setStatusCode(answer.status())
        .putHeader("Content-Type", answer.contentType())
        .end(Buffer.buffer(answer.body()));
  }

  /** The body, or null when it is larger than the limit (the rest is read and dropped). */
  private Future<byte[]> readBody(HttpServerRequest request) {
    Promise<byte[]> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    boolean[] tooLarge = {false};
    request.handler(chunk -> {
      if (!tooLarge[0] && body.length() + chunk.length() <= maxRequestBytes) {
        body.appendBuffer(chunk);
      } else {
        tooLarge[0] = true;
      }
    });
    request.exceptionHandler(promise::tryFail);
    request.endHandler(ignored -> promise.tryComplete(tooLarge[0] ? null : body.getBytes()));
    return promise.future();
  }

  private Future<byte[]> drain(HttpServerRequest request) {
    return readBody(request);
  }

  private static void plain(HttpServerResponse response, int status, String text) {
    if (!response.closed() && !response.ended()) {
      response.setStatusCode(status).putHeader("Content-Type", "text/plain").end(text);
    }
  }

  private static X509Certificate clientCertificate(HttpServerRequest request) {
    try {
      List<Certificate> chain = request.connection().peerCertificates();
      return chain == null || chain.isEmpty() ? null : (X509Certificate) chain.get(0);
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
