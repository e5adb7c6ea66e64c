package org.omspush.receiver.ops;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * The operations port: liveness, readiness and Prometheus metrics. Plain HTTP, meant for the
 * kubelet and the scraper inside the cluster, never exposed to the ISO.
 */
public final class OpsVerticle extends VerticleBase {
  private final String host;
  private final int port;
  private final Supplier<Future<Void>> readiness;
  private final PrometheusMeterRegistry metrics;
  private HttpServer server;

  /**
   * @param readiness succeeds when the receiver can take pushes now (migrations done, database answering)
   */
  public OpsVerticle(String host, int port, Supplier<Future<Void>> readiness, PrometheusMeterRegistry metrics) {
    this.host = host;
    this.port = port;
    this.readiness = readiness;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> status(ctx, 200, "UP", null));
    router.get("/health/ready").handler(ctx -> readiness.get()
        .timeout(2, java.util.concurrent.TimeUnit.SECONDS)
        .onSuccess(v -> status(ctx, 200, "UP", null))
        .onFailure(e -> status(ctx, 503, "DOWN", e.getMessage())));
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));
    server = vertx.createHttpServer().requestHandler(router);
    return server.listen(port, host);
  }

  private static void status(RoutingContext ctx, int code, String status, String reason) {
    JsonObject body = new JsonObject().put("status", status);
    if (reason != null) {
      body.put("reason", reason);
    }
    ctx.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(body.encode());
  }

  public int actualPort() {
    return server.actualPort();
  }
}
