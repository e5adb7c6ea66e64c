package org.omspush.receiver.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per event loop, all on the same port. Bounds what a connection may take: complete
 * headers within {@link PushServerOptions#HEADER_TIMEOUT_MS}, the whole request (headers and
 * body) within the request timeout, and at most so many connections open at once.
 */
public final class PushVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PushVerticle.class);
  private static final CharSequence KEEP_ALIVE = HttpHeaders.createOptimized("Keep-Alive");

  private final HttpServerOptions options;
  private final PushEndpoint endpoint;
  private final PushLimits limits;
  private final CharSequence keepAliveAdvertised;
  private final Map<HttpConnection, Deadlines> deadlines = new ConcurrentHashMap<>();
  /** Connections beyond the cap, closing: a request that arrived with the handshake is not handled. */
  private final java.util.Set<HttpConnection> refusedConnections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger inFlight;
  private final AtomicInteger connections;
  private final Counter refused;
  private final Counter headerTimeouts;
  private final Counter requestTimeouts;
  private HttpServer server;
  private volatile Future<Void> shutdown;

  /** A connection's two timers while it owes us a request; the request being read, if any. */
  private static final class Deadlines {
    long header = -1;
    long request = -1;
    /** After an answer: the request timer starts with the next request's headers. */
    boolean keptAlive;
    HttpServerRequest current;
  }

  /**
   * @param inFlight    requests being answered, shared by every instance (the drain logs it)
   * @param connections connections open on the port, shared by every instance (the cap)
   */
  public PushVerticle(HttpServerOptions options, PushEndpoint endpoint, PushLimits limits, AtomicInteger inFlight,
      AtomicInteger connections, MeterRegistry metrics) {
    this.options = options;
    this.endpoint = endpoint;
    this.limits = limits;
    this.keepAliveAdvertised = HttpHeaders.createOptimized("timeout=" + limits.advertisedKeepAliveSeconds());
    this.inFlight = inFlight;
    this.connections = connections;
    this.refused = Counter.builder("oms.push.connections.refused")
        .description("Connections closed on arrival because the push port had its maximum open")
        .register(metrics);
    Gauge.builder("oms.push.connections", connections, AtomicInteger::get)
        .description("Connections open on the push port")
        .register(metrics);
    this.headerTimeouts = closed(metrics, "header_timeout");
    this.requestTimeouts = closed(metrics, "request_timeout");
  }

  private static Counter closed(MeterRegistry metrics, String reason) {
    return Counter.builder("oms.push.connections.cut")
        .description("Connections closed because a request was not sent in time")
        .tag("reason", reason)
        .register(metrics);
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(options)
        .connectionHandler(this::onConnection)
        .requestHandler(this::onRequest)
        .exceptionHandler(endpoint::connectionFailed);
    return server.listen();
  }

  private void onConnection(HttpConnection conn) {
    if (connections.incrementAndGet() > limits.maxConnections()) {
      connections.decrementAndGet();
      refused.increment();
      log.atWarn().setMessage("push connection from {} refused: {} connections are open (OMS_PUSH_MAX_CONNECTIONS)")
          .addArgument(conn.remoteAddress()).addArgument(limits.maxConnections()).log();
      refusedConnections.add(conn);
      conn.closeHandler(v -> refusedConnections.remove(conn));
      conn.close();
      return;
    }
    conn.closeHandler(v -> {
      connections.decrementAndGet();
      cancel(deadlines.remove(conn));
    });
    awaitRequest(conn);
  }

  private void onRequest(HttpServerRequest req) {
    HttpConnection conn = req.connection();
    if (refusedConnections.contains(conn)) {
      // closing is graceful, so a request sent right after the handshake still reaches here: it
      // gets no answer and nothing of it is stored (the ISO retries on another connection)
      req.response().reset();
      return;
    }
    Deadlines d = deadlines.get(conn);
    if (d != null) {
      vertx.cancelTimer(d.header);
      d.current = req;
      if (d.keptAlive) {
        d.request = requestTimer(conn, d);
      }
    }
    req.response().putHeader(KEEP_ALIVE, keepAliveAdvertised);
    inFlight.incrementAndGet();
    AtomicBoolean counted = new AtomicBoolean(true);
    Runnable done = () -> {
      if (counted.compareAndSet(true, false)) {
        inFlight.decrementAndGet();
      }
    };
    Promise<Void> gone = Promise.promise();
    req.response().endHandler(v -> {
      done.run();
      // Also called when the connection closed unanswered; then there is no next request.
      if (!req.response().closed()) {
        awaitNextRequest(conn);
      }
    });
    req.response().closeHandler(v -> {
      done.run();
      gone.tryComplete();
    });
    endpoint.handle(req, gone.future());
  }

  /**
   * The connection owes a request: complete headers within the header timeout, and its body's
   * last byte within the request timeout. A request whose body is all in is never cut: it is
   * being verified and stored, and is answered.
   */
  private void awaitRequest(HttpConnection conn) {
    awaitRequest(conn, false);
  }

  /**
   * After an answer: an idle kept-alive connection closes after the keep-alive timeout (not
   * counted as cut); long enough that a sender between bursts keeps its connections instead of
   * paying a mutual-TLS handshake for each one at the next burst. Its next request then has the
   * request timeout from its headers on.
   */
  private void awaitNextRequest(HttpConnection conn) {
    awaitRequest(conn, true);
  }

  private void awaitRequest(HttpConnection conn, boolean keptAlive) {
    Deadlines d = new Deadlines();
    d.keptAlive = keptAlive;
    d.header = vertx.setTimer(keptAlive ? limits.keepAlive().toMillis() : PushServerOptions.HEADER_TIMEOUT_MS, t -> {
      if (d.current == null && deadlines.get(conn) == d) {
        if (!keptAlive) {
          headerTimeouts.increment();
        }
        conn.close();
      }
    });
    if (!keptAlive) {
      d.request = requestTimer(conn, d);
    }
    cancel(deadlines.put(conn, d));
  }

  private long requestTimer(HttpConnection conn, Deadlines d) {
    return vertx.setTimer(Math.max(1, limits.requestTimeout().toMillis()), t -> {
      if (deadlines.get(conn) == d && (d.current == null || !d.current.isEnded())) {
        requestTimeouts.increment();
        log.atWarn().setMessage("push connection from {} closed: the request was not complete within {} ms "
            + "(OMS_PUSH_REQUEST_TIMEOUT)").addArgument(conn.remoteAddress())
            .addArgument(limits.requestTimeout().toMillis()).log();
        conn.close();
      }
    });
  }

  private void cancel(Deadlines d) {
    if (d != null) {
      vertx.cancelTimer(d.header);
      vertx.cancelTimer(d.request);
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
