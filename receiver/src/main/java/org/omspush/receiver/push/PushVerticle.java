package org.omspush.receiver.push;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One instance per event loop, all on the same port. Closes connections that do not send
 * complete headers in time, so slow senders cannot hold the endpoint.
 */
public final class PushVerticle extends VerticleBase {
  private final HttpServerOptions options;
  private final PushEndpoint endpoint;
  private final Map<HttpConnection, Long> headerTimers = new ConcurrentHashMap<>();
  private HttpServer server;

  public PushVerticle(HttpServerOptions options, PushEndpoint endpoint) {
    this.options = options;
    this.endpoint = endpoint;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(options)
        .connectionHandler(conn -> {
          armHeaderTimer(conn);
          conn.closeHandler(v -> cancelHeaderTimer(conn));
        })
        .requestHandler(this::onRequest);
    return server.listen();
  }

  private void onRequest(HttpServerRequest req) {
    HttpConnection conn = req.connection();
    cancelHeaderTimer(conn);
    req.response().endHandler(v -> armHeaderTimer(conn));
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

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
