package org.omspush.fanout;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A subscriber's endpoint for tests: a real HTTP server on 127.0.0.1 that records what it gets and answers as told. */
final class Hook implements AutoCloseable {

  /** One request as received. */
  record Received(String method, String path, MultiMap headers, String body, Instant at) {
    JsonObject json() {
      return new JsonObject(body);
    }

    /** The headers as the Standard Webhooks library wants them. */
    Map<String, List<String>> headerMap() {
      Map<String, List<String>> out = new HashMap<>();
      headers.forEach(e -> out.computeIfAbsent(e.getKey().toLowerCase(), k -> new ArrayList<>()).add(e.getValue()));
      return out;
    }
  }

  /** How to answer. */
  record Reply(int status, Map<String, String> headers, Duration delay, String body) {
    static Reply ok() {
      return new Reply(200, Map.of(), Duration.ZERO, "");
    }

    static Reply status(int status) {
      return new Reply(status, Map.of(), Duration.ZERO, "");
    }

    static Reply slow(Duration delay) {
      return new Reply(200, Map.of(), delay, "");
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  /** Requests answered so far (a slow reply counts once it is sent). */
  final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
  private final Vertx vertx;
  private final HttpServerOptions options;
  private volatile Function<Received, Reply> replies = r -> Reply.ok();
  private HttpServer server;
  private int port;

  private Hook(Vertx vertx, HttpServerOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  static Hook start(Vertx vertx) {
    return start(vertx, new HttpServerOptions());
  }

  static Hook start(Vertx vertx, HttpServerOptions options) {
    Hook h = new Hook(vertx, options);
    h.listen(0);
    return h;
  }

  Hook answering(Function<Received, Reply> f) {
    this.replies = f;
    return this;
  }

  String url() {
    return (options.isSsl() ? "https" : "http") + "://127.0.0.1:" + port + "/hook";
  }

  int port() {
    return port;
  }

  /** Stops listening: connections are refused until {@link #up()}. */
  void down() {
    Harness.await(server.close());
  }

  /** Listens again on the same port. */
  void up() {
    listen(port);
  }

  /** The deliveries (POSTs) received so far. */
  List<Received> posts() {
    return received.stream().filter(r -> r.method().equals("POST")).toList();
  }

  private void listen(int p) {
    server = vertx.createHttpServer(options).requestHandler(this::handle);
    port = Harness.await(server.listen(p, "127.0.0.1")).actualPort();
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      Received r = new Received(req.method().name(), req.path(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
          body.toString(), Instant.now());
      received.add(r);
      Reply reply = replies.apply(r);
      Runnable answer = () -> {
        var resp = req.response().setStatusCode(reply.status());
        reply.headers().forEach(resp::putHeader);
        answered.incrementAndGet();
        resp.end(reply.body()).onFailure(e -> { });
      };
      if (reply.delay().isZero()) {
        answer.run();
      } else {
        vertx.setTimer(reply.delay().toMillis(), t -> answer.run());
      }
    });
  }

  @Override
  public void close() {
    if (server != null) {
      Future<Void> f = server.close();
      Harness.await(f);
    }
  }
}
