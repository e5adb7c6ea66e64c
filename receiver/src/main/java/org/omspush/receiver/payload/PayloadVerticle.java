package org.omspush.receiver.payload;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.omspush.fanout.PayloadLinks;
import org.omspush.fanout.ProblemDetails;
import org.omspush.receiver.push.PushServerOptions;
import org.omspush.receiver.tls.TlsMaterial;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payload listener: serves only {@code GET /payloads/{id}?expires=…&sig=…}, the signed links
 * of payloads too large to go inline, over HTTPS (TLS 1.2/1.3, no client certificate: the link's
 * signature is the permission). Nothing else is reachable here, the admin API least of all.
 */
public final class PayloadVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PayloadVerticle.class);

  private final HttpServerOptions options;
  private final Handler<RoutingContext> downloads;
  private HttpServer server;

  public PayloadVerticle(HttpServerOptions options, Handler<RoutingContext> downloads) {
    this.options = options;
    this.downloads = downloads;
  }

  /** HTTPS with the certificate chain and key in these PEM files. */
  public static HttpServerOptions https(String host, int port, Path cert, Path key) {
    HttpServerOptions o = plain(host, port)
        .setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()))
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
        .setSslHandshakeTimeout(PushServerOptions.HEADER_TIMEOUT_MS)
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    PushServerOptions.CIPHER_SUITES.forEach(o::addEnabledCipherSuite);
    return o;
  }

  /** Plain HTTP: trials only (OMS_PAYLOAD_ALLOW_HTTP). */
  public static HttpServerOptions plain(String host, int port) {
    return new HttpServerOptions().setHost(host).setPort(port).setIdleTimeout(60).setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxHeaderSize(16 * 1024);
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get(PayloadLinks.PATH + ":id").handler(downloads);
    router.route().last().handler(ctx -> ProblemDetails.of(404, "not-found", "Not found",
        "no resource at " + ctx.request().path() + "; this port serves only payload links").send(ctx.response()));
    router.errorHandler(405, ctx -> ProblemDetails.of(405, "method-not-allowed", "Method not allowed",
        ctx.request().method() + " is not allowed on " + ctx.request().path()).send(ctx.response()));
    server = vertx.createHttpServer(options).requestHandler(router);
    return server.listen().onSuccess(s -> log.info("payload links on {}://{}:{}{}…", options.isSsl() ? "https" : "http",
        options.getHost(), s.actualPort(), PayloadLinks.PATH));
  }

  /** New certificate and key for new connections (the push server's, when the listener shares them). */
  public Future<Boolean> updateSsl(TlsMaterial m) {
    ServerSSLOptions ssl = options.getSslOptions().copy()
        .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(m.certPem()))
            .addKeyValue(Buffer.buffer(m.keyPem())));
    return server.updateSSLOptions(ssl);
  }

  public boolean secure() {
    return options.isSsl();
  }

  public int actualPort() {
    return server.actualPort();
  }
}
