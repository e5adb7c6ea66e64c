package org.omspush.isosim.push;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * Sends pushes as the ISO does: HTTPS with mutual TLS (TLS 1.2/1.3), HTTP/1.1, one POST per
 * message with {@code Content-Type: text/xml; charset=utf-8} and a {@code SOAPAction} header.
 * Safe to use from any thread; answers complete on a Vert.x event loop.
 */
public final class Pusher implements AutoCloseable {

  public static final String CONTENT_TYPE = "text/xml; charset=utf-8";

  private final WebClient client;
  private final PusherOptions options;

  public Pusher(Vertx vertx, PusherOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    WebClientOptions clientOptions = new WebClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_1_1)
        .setUseAlpn(false)
        .setKeepAlive(true)
        .setVerifyHost(options.verifyHost())
        .setEnabledSecureTransportProtocols(options.tlsProtocols())
        .setFollowRedirects(false)
        .setUserAgentEnabled(false);
    if (options.clientCertificate() != null) {
      clientOptions.setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(options.clientCertificate().toString())
          .setKeyPath(options.clientKey().toString()));
    }
    if (options.trustedCa() != null) {
      clientOptions.setTrustOptions(
          new PemTrustOptions().addCertPath(options.trustedCa().toString()));
    }
    this.client = WebClient.create(vertx, clientOptions,
        new PoolOptions().setHttp1MaxSize(options.poolSize()));
  }

  /** POSTs the envelope with the message's own SOAPAction. */
  public Future<PushResult> push(String url, PushMessage message, byte[] envelope) {
    return push(url, message.soapAction(), envelope);
  }

  /** POSTs the envelope with the given SOAPAction (quoted unless the options say bare). */
  public Future<PushResult> push(String url, String soapAction, byte[] envelope) {
    String action = options.quotedSoapAction() ? '"' + soapAction + '"' : soapAction;
    return send(HttpMethod.POST, url,
        Map.of("Content-Type", CONTENT_TYPE, "SOAPAction", action), Buffer.buffer(envelope));
  }

  /**
   * Sends any request over this pusher's connections, with exactly these headers (besides
   * Host and Content-Length): for the wrong method, content type or action.
   */
  public Future<PushResult> send(HttpMethod method, String url, Map<String, String> headers,
      Buffer body) {
    // An idle timeout, not timeout(): in Vert.x 5.0 the latter also arms a pool-wait timer that
    // races a recycled connection and logs "Promise already completed" (eclipse-vertx/vert.x#6169)
    HttpRequest<Buffer> request = client.requestAbs(method, url)
        .idleTimeout(options.timeout().toMillis());
    headers.forEach(request::putHeader);
    long start = System.nanoTime();
    Future<HttpResponse<Buffer>> sent =
        body == null ? request.send() : request.sendBuffer(body);
    return sent.map(response -> {
      long latency = System.nanoTime() - start;
      MultiMap answerHeaders = response.headers();
      Buffer answer = response.body();
      return new PushResult(response.statusCode(), answerHeaders.get("Content-Type"),
          answer == null ? "" : answer.toString(StandardCharsets.UTF_8),
          latency);
    });
  }

  /** Closes the connections. */
  @Override
  public void close() {
    client.close();
  }
}
