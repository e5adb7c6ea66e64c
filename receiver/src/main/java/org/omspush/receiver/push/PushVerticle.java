package org.omspush.receiver.push;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance per event loop, all on the same port. Closes connections that do not send
 * complete headers in time, so slow senders cannot hold the endpoint.
 */
public final class PushVerticle extends VerticleBase {
  private final HttpServerOptions options;
  private final PushEndpoint endpoint;
  private final Map<HttpConnection, Long> headerTimers = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight;
  private HttpServer server;
  private volatile Future<Void> shutdown;

  /** @param inFlight requests being answered, shared by every instance (the drain logs it) */
  public PushVerticle(HttpServerOptions options, PushEndpoint endpoint, AtomicInteger inFlight) {
    this.options = options;
    this.endpoint = endpoint;
    this.inFlight = inFlight;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(options)
        .connectionHandler(conn -> {
          armHeaderTimer(conn);
          conn.closeHandler(v -> cancelHeaderTimer(conn));
        })
        .requestHandler(this::onRequest)
        .exceptionHandler(endpoint::connectionFailed);
    return server.listen();
  }

  private void onRequest(HttpServerRequest req) {
    HttpConnection conn = req.connection();
    cancelHeaderTimer(conn);
    inFlight.incrementAndGet();
    AtomicBoolean counted = new AtomicBoolean(true);
    Runnable done = () -> {
      if (counted.compareAndSet(true, false)) {
        inFlight.decrementAndGet();
      }
    };
    req.response().endHandler(v -> {
      done.run();
      armHeaderTimer(conn);
    });
    req.response().closeHandler(v -> done.run());
    endpoint.handle(req);
  }

  private void armHeaderTimer(HttpConnection conn) {
    long id = vertx.setTimer(PushServerOptions.HEADER_TIMEOUT_MS, t -> {
      headerTimers.remove(conn);
      conn.close();
    });
    Long previous = headerTimers.put(conn, id);
    if (previous != null) {
      vertx.cancelTimer(previous);
    }
  }

  private void cancelHeaderTimer(HttpConnection conn) {
    Long id = headerTimers.remove(conn);
    if (id != null) {
      vertx.cancelTimer(id);
    }
  }

  /** New certificates for the port; every instance shares one server, so one call updates them all. */
  public Future<Boolean> updateSsl(io.vertx.core.net.ServerSSLOptions ssl) {
    return server.updateSSLOptions(ssl);
  }

  public HttpServerOptions options() {
    return options;
  }

  public int actualPort() {
    return server.actualPort();
  }

  /**
   * Stops accepting connections at once; a request being answered is answered (its connection
   * closes after the response), idle keep-alive connections close now. Connections still busy
   * after {@code grace} are closed.
   */
  public Future<Void> shutdown(Duration grace) {
    if (server == null) {
      return Future.succeededFuture();
    }
    if (shutdown == null) {
      shutdown = server.shutdown(Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS);
    }
    return shutdown;
  }

  @Override
  public Future<?> stop() {
    if (server == null) {
      return Future.succeededFuture();
    }
    return shutdown != null ? shutdown : server.close();
  }
}
