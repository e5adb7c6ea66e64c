package org.omspush.isosim.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;

/**
 * A participant calling the stand-in ISO, minimal and for tests only: presents its client
 * certificate over mutual TLS, signs each request with PushSigner (CAISOWSHeader + signature
 * over Body and header), and POSTs it with the service's SOAPAction.
 */
public final class Participant implements AutoCloseable {

  public static final String NS = "urn:omspush:v1";

  private final WebClient client;
  private final PushSigner signer;
  private final String baseUrl;
  private final Duration timeout;

  public Participant(Vertx vertx, DevPki pki, DevPki.Credential credential, String baseUrl) {
    this(vertx, pki, credential, PushSigner.of(credential), baseUrl, Duration.ofSeconds(15));
  }

  /**
   * Presents {@code tls} over TLS but signs with {@code signer}; gives up on an answer after
   * {@code timeout} without a byte.
   */
  public Participant(Vertx vertx, DevPki pki, DevPki.Credential tls, PushSigner signer,
      String baseUrl, Duration timeout) {
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_1_1)
        .setKeepAlive(true)
        .setVerifyHost(true)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(tls.certificateFile().toString())
            .setKeyPath(tls.keyFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.isoCaBundle().toString())));
    this.signer = signer;
    this.baseUrl = baseUrl;
    this.timeout = timeout;
  }

  public static String byToken(String token) {
    return "<RetrieveByClaimCheck xmlns=\"" + NS + "\"><token>" + token
        + "</token></RetrieveByClaimCheck>";
  }

  public static String byMrid(String mrid) {
    return "<RetrieveByClaimCheck xmlns=\"" + NS + "\"><outageMRID>" + mrid
        + "</outageMRID></RetrieveByClaimCheck>";
  }

  public static String byEventId(String eventId) {
    return "<RetrieveByClaimCheck xmlns=\"" + NS + "\"><eventId>" + eventId
        + "</eventId></RetrieveByClaimCheck>";
  }

  public static String changesSince(String since) {
    return "<RetrieveChanges xmlns=\"" + NS + "\"><since>" + since + "</since></RetrieveChanges>";
  }

  public static String changesAt(String cursor) {
    return "<RetrieveChanges xmlns=\"" + NS + "\"><cursor>" + cursor
        + "</cursor></RetrieveChanges>";
  }

  /** The signed envelope of a request with this body. */
  public byte[] signed(String service, String bodyXml) {
    return signer.sign(PushMessage.rawBody(service, bodyXml).build(), Algorithm.RSA_SHA256);
  }

  /** Signs and sends; waits for the reply. */
  public Reply call(String service, String bodyXml) {
    return Await.result(send(service, signed(service, bodyXml)));
  }

  /** Sends these bytes as they are to the service, with its SOAPAction. */
  public Future<Reply> send(String service, byte[] envelope) {
    return send(HttpMethod.POST, "/sst/oms/" + service, Map.of(
        "Content-Type", "text/xml; charset=utf-8", "SOAPAction", '"' + service + '"'),
        envelope);
  }

  /** Any request, exactly these headers. */
  public Future<Reply> send(HttpMethod method, String path, Map<String, String> headers,
      byte[] body) {
    // The timeout is how long an answer may keep us waiting; getting a connection (a TLS
    // handshake on a busy machine) has its own, generous limit.
    HttpRequest<Buffer> request = client.requestAbs(method, baseUrl + path)
        .connectTimeout(30_000)
        .idleTimeout(timeout.toMillis());
    headers.forEach(request::putHeader);
    long start = System.nanoTime();
    Future<io.vertx.ext.web.client.HttpResponse<Buffer>> sent =
        body == null ? request.send() : request.sendBuffer(Buffer.buffer(body));
    return sent.map(response -> new Reply(response.statusCode(), response.headers(),
        response.body() == null ? "" : response.body().toString(StandardCharsets.UTF_8),
        Duration.ofNanos(System.nanoTime() - start)));
  }

  @Override
  public void close() {
    client.close();
  }
}
