package org.omspush.fanout;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.omspush.store.fanout.Subscriber;

/**
 * HTTP to subscribers, through the SSRF guard: the host is resolved and checked on a worker
 * thread, then the connection goes to that checked address (Host header, SNI and certificate
 * check still use the name). Redirects are not followed. One client (and connection pool) per
 * subscriber, sized to its concurrency limit and carrying its client certificate, so one slow
 * subscriber never holds connections another needs. A whole exchange has one deadline; of the
 * answer's body only the first {@link FanoutSettings#RESPONSE_EXCERPT_BYTES} bytes are kept.
 */
public final class SubscriberHttp {

  /** A subscriber's answer. @param excerpt the start of the body (bounded), "" when empty */
  public record Answer(int status, MultiMap headers, String excerpt) {}

  private record Pooled(OffsetDateTime version, HttpClient client) {}

  private final Vertx vertx;
  private final DestinationGuard guard;
  private final String caFile;
  private final Map<UUID, Pooled> clients = new ConcurrentHashMap<>();

  public SubscriberHttp(Vertx vertx, DestinationGuard guard, String caFile) {
    this.vertx = vertx;
    this.guard = guard;
    this.caFile = caFile;
  }

  /** One exchange with a stored subscriber, on its pooled client. */
  public Future<Answer> send(Subscriber s, HttpMethod method, MultiMap headers, Buffer body, Duration timeout) {
    return exchange(clientFor(s), s.url(), method, headers, body, timeout);
  }

  /** One exchange with a subscriber not stored yet (the validation handshake): a client of its own, closed after. */
  public Future<Answer> sendOnce(String url, String certPem, String keyPem, HttpMethod method, MultiMap headers,
      Duration timeout) {
    HttpClient client = newClient(certPem, keyPem, 1);
    return exchange(client, url, method, headers, null, timeout).andThen(x -> client.close());
  }

  /** Closes the client of a subscriber that was changed or removed. */
  public void forget(UUID subscriberId) {
    Pooled p = clients.remove(subscriberId);
    if (p != null) {
      p.client().close();
    }
  }

  public Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    clients.values().forEach(p -> closing.add(p.client().close()));
    clients.clear();
    return Future.join(closing).mapEmpty();
  }

  private HttpClient clientFor(Subscriber s) {
    Pooled p = clients.get(s.id());
    if (p != null && p.version().equals(s.updatedAt())) {
      return p.client();
    }
    Pooled fresh = new Pooled(s.updatedAt(), newClient(s.clientCertPem(), s.clientKeyPem(), s.maxInFlight()));
    Pooled old = clients.put(s.id(), fresh);
    if (old != null) {
      old.client().close();
    }
    return fresh.client();
  }

  private HttpClient newClient(String certPem, String keyPem, int poolSize) {
    HttpClientOptions o = new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(30)
        .setVerifyHost(true)
        .setForceSni(true)
        .setTcpNoDelay(true)
        .setConnectTimeout(10_000);
    if (certPem != null && keyPem != null) {
      o.setKeyCertOptions(new PemKeyCertOptions()
          .setCertValue(Buffer.buffer(certPem))
          .setKeyValue(Buffer.buffer(keyPem)));
    }
    if (caFile != null) {
      o.setTrustOptions(new PemTrustOptions().addCertPath(caFile));
    }
    return vertx.httpClientBuilder().with(o).with(new PoolOptions().setHttp1MaxSize(Math.max(1, poolSize))).build();
  }

  private Future<Answer> exchange(HttpClient client, String url, HttpMethod method, MultiMap headers, Buffer body,
      Duration timeout) {
    Promise<Answer> result = Promise.promise();
    AtomicReference<HttpClientRequest> current = new AtomicReference<>();
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
      if (result.tryFail(new TimeoutException("no answer within " + Durations.format(timeout)))) {
        HttpClientRequest r = current.get();
        if (r != null) {
          r.reset();
        }
      }
    });
    vertx.executeBlocking(() -> {
      URI uri = guard.parse(url);
      return Map.entry(uri, guard.resolve(uri));
    }, false).compose(target -> {
      URI uri = target.getKey();
      InetAddress address = target.getValue();
      boolean https = uri.getScheme().toLowerCase(Locale.ROOT).equals("https");
      int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      RequestOptions ro = new RequestOptions()
          .setMethod(method)
          .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
          .setHost(DestinationGuard.hostOf(uri))
          .setPort(port)
          .setSsl(https)
          .setURI(path)
          .setFollowRedirects(false);
      // No per-request connect timeout: in Vert.x 5.0 it also arms a pool-wait timer that races a
      // recycled connection and logs "Promise already completed" at ERROR (eclipse-vertx/vert.x#6169).
      // The TCP connect is bounded by the client's own connect timeout, the exchange by the timer above.
      return client.request(ro);
    }).compose(req -> {
      current.set(req);
      if (result.future().isComplete()) { // timed out while connecting: do not send late
        req.reset();
        return Future.failedFuture("timed out");
      }
      req.headers().addAll(headers);
      // read() chained on send() itself: the response future then completes on the request's
      // own context, before its chunks are delivered. Chained on the outer compose instead, its
      // callback can run after a small answer was already read whole, which loses the body
      // (Vert.x 5.0.12) or hangs until the timeout (5.0.10, eclipse-vertx/vert.x#6038).
      return (body == null ? req.send() : req.send(body)).compose(SubscriberHttp::read);
    }).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future();
  }

  private static Future<Answer> read(HttpClientResponse response) {
    Buffer excerpt = Buffer.buffer();
    int max = FanoutSettings.RESPONSE_EXCERPT_BYTES;
    try {
      response.handler(chunk -> {
        int room = max - excerpt.length();
        if (room > 0) {
          excerpt.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
        }
      });
    } catch (IllegalStateException alreadyEnded) {
      // the answer was read whole before this ran (see exchange): the status stands, only the
      // excerpt is lost, and end() still completes (Vert.x >= 5.0.11)
    }
    return response.end().map(v -> new Answer(response.statusCode(), response.headers(), text(excerpt)));
  }

  /** Lenient UTF-8, without NUL characters (Postgres text cannot hold them). */
  private static String text(Buffer b) {
    return new String(b.getBytes(), StandardCharsets.UTF_8).replace('\u0000', '\uFFFD');
  }
}
