package org.omspush.claimcheck.retrieve;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
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
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.omspush.store.PayloadStore;
import org.omspush.store.PayloadTransfers;

/**
 * Calls the ISO's retrieve services: mutual TLS with the identity's certificate, the ISO's
 * server certificate verified against {@code OMS_ISO_CA}, signed SOAP requests, answers read
 * and checked off the event loop. It never decides when to call: the AUP gate does.
 */
public final class RetrieveClient implements AutoCloseable {
  private final Vertx vertx;
  private final URI baseUrl;
  /** One HTTP client per identity (its own key material and connection pool), by gate key. */
  private final Map<String, Pooled> clients = new java.util.concurrent.ConcurrentHashMap<>();
  private final Path isoCa;
  private final long evictTimer;
  /** A client unused this long is closed with its connections (a removed or renewed certificate's). */
  static final Duration CLIENT_IDLE = Duration.ofMinutes(2);

  private static final class Pooled {
    final HttpClient client;
    volatile long lastUsedNanos = System.nanoTime();

    Pooled(HttpClient client) {
      this.client = client;
    }
  }
  private final WorkerExecutor workers;
  private final AnswerReader reader;
  private final DocumentAnswerReader documentReader;
  private final PayloadStore payloads;
  private final PayloadTransfers transfers;
  private final WorkerExecutor transferWorkers;
  private final Duration timeout;
  private final long maxAnswerBytes;

  /**
   * @param workers   for signing and small answers (pages of changes)
   * @param transfers bounds the documents streamed at once; each holds a thread of its own executor
   */
  public RetrieveClient(Vertx vertx, URI baseUrl, Path isoCa, WorkerExecutor workers,
      AnswerReader reader, DocumentAnswerReader documentReader, PayloadStore payloads, PayloadTransfers transfers,
      Duration timeout, long maxPayloadBytes) {
    this.vertx = vertx;
    this.baseUrl = baseUrl;
    this.isoCa = isoCa;
    this.workers = workers;
    this.reader = reader;
    this.documentReader = documentReader;
    this.payloads = payloads;
    this.transfers = transfers;
    this.transferWorkers = vertx.createSharedWorkerExecutor("oms-retrieve-documents", transfers.max());
    this.timeout = timeout;
    // base64 of gzip is at most a third larger than the gzip, and gzip of XML is smaller than the XML.
    this.maxAnswerBytes = maxPayloadBytes * 2 + 1024 * 1024;
    this.evictTimer = vertx.setPeriodic(CLIENT_IDLE.toMillis() / 2, t -> evictIdle(CLIENT_IDLE));
  }

  /**
   * The identity's client, created at its first call from the identity's key material in memory
   * (not its files, which a renewal may replace meanwhile). Connections idle for a minute close.
   */
  private HttpClient client(IsoIdentity id) {
    Pooled p = clients.computeIfAbsent(id.gateKey(), k -> {
      HttpClientOptions options = new HttpClientOptions()
          .setSsl("https".equalsIgnoreCase(baseUrl.getScheme()))
          .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(pem(id)))
              .addKeyValue(Buffer.buffer(pemKey(id))))
          .setTrustOptions(new PemTrustOptions().addCertPath(isoCa.toString()))
          .setVerifyHost(true)
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
          .setConnectTimeout((int) Math.min(timeout.toMillis(), 30_000))
          .setIdleTimeout(60)
          .setKeepAlive(true);
      return new Pooled(vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(2)));
    });
    p.lastUsedNanos = System.nanoTime();
    return p.client;
  }

  /** Closes the clients unused for {@code idle}; @return how many */
  public int evictIdle(Duration idle) {
    long now = System.nanoTime();
    int closed = 0;
    for (var e : clients.entrySet()) {
      if (now - e.getValue().lastUsedNanos > idle.toNanos() && clients.remove(e.getKey(), e.getValue())) {
        e.getValue().client.close();
        closed++;
      }
    }
    return closed;
  }

  /** The identities with a client now (each its own connection pool). */
  public int clientsOpen() {
    return clients.size();
  }

  private static String pem(IsoIdentity id) {
    StringBuilder b = new StringBuilder();
    try {
      for (X509Certificate c : id.chain().isEmpty() ? List.of(id.certificate()) : id.chain()) {
        b.append(pemBlock("CERTIFICATE", c.getEncoded()));
      }
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
    return b.toString();
  }

  private static String pemKey(IsoIdentity id) {
    // getEncoded() of a private key is PKCS#8
    return pemBlock("PRIVATE KEY", id.privateKey().getEncoded());
  }

  private static String pemBlock(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  public URI serviceUrl(String service) {
    String base = baseUrl.toString().replaceAll("/+$", "");
    return URI.create(base + "/sst/oms/" + service);
  }

  /**
   * A request whose connection is open (TCP and TLS done), ready to send. Taking the AUP gate
   * between {@link #open} and {@link Prepared#send} keeps the handshake out of the time from the
   * gate to the request's arrival at the ISO, which the gate's margin must cover.
   */
  public final class Prepared {
    private final HttpClientRequest request;
    private final boolean expectChanges;
    private final PayloadTransfers.Slot slot;

    private Prepared(HttpClientRequest request, boolean expectChanges, PayloadTransfers.Slot slot) {
      this.request = request;
      this.expectChanges = expectChanges;
      this.slot = slot;
    }

    public Future<RetrieveAnswer> send(byte[] signedRequest) {
      return send(signedRequest, answered -> Future.succeededFuture());
    }

    /**
     * Sends, and calls {@code answered} as soon as the answer's head arrives (true: the ISO has
     * seen the request) or the call failed without one (false), before the body is read and
     * checked. The answer completes once that future has too (it should not fail).
     */
    public Future<RetrieveAnswer> send(byte[] signedRequest, Function<Boolean, Future<Void>> answered) {
      // The timeout starts now, not at open: waiting for the gate may take longer than it.
      request.idleTimeout(timeout.toMillis());
      boolean[] headSeen = {false};
      return request.send(Buffer.buffer(signedRequest))
          .compose(res -> {
            headSeen[0] = true;
            Future<Void> gate = answered.apply(true);
            return read(res, expectChanges)
                .transform(read -> gate.transform(ignored -> read.succeeded() ? Future.succeededFuture(read.result())
                    : Future.failedFuture(read.cause())));
          })
          .recover(e -> (headSeen[0] ? Future.<Void>succeededFuture() : answered.apply(false))
              .transform(ignored -> transientFailure(e)))
          .onComplete(done -> release());
    }

    /** Gives the connection back without sending (the gate was not taken in time). */
    public void abandon() {
      request.reset();
      release();
    }

    private void release() {
      if (slot != null) {
        slot.close();
      }
    }
  }

  /**
   * Opens (or reuses) a connection to the service; a failure is a Transient answer. A call for a
   * document first waits for one of this replica's large-transfer slots, held until its answer
   * is read and stored (or the call is abandoned).
   */
  public Future<Prepared> open(IsoIdentity identity, String service, boolean expectChanges) {
    if (expectChanges) {
      return open(identity, service, true, null);
    }
    return transfers.acquire().compose(slot -> open(identity, service, false, slot).onFailure(e -> slot.close()));
  }

  private Future<Prepared> open(IsoIdentity identity, String service, boolean expectChanges,
      PayloadTransfers.Slot slot) {
    HttpClient client = client(identity);
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(serviceUrl(service).toString())
        .putHeader("Content-Type", "text/xml; charset=utf-8")
        .putHeader("SOAPAction", "\"" + service + "\"");
    return client.request(options).map(req -> {
      // Failures reach the caller through send()'s future; without a handler Vert.x also logs an
      // abandoned request's reset at ERROR.
      req.exceptionHandler(e -> { });
      return new Prepared(req, expectChanges, slot);
    });
  }

  private Future<RetrieveAnswer> read(HttpClientResponse res, boolean expectChanges) {
    X509Certificate isoServer = peer(res.request().connection());
    long declared = parseLength(res.getHeader("Content-Length"));
    if (declared > maxAnswerBytes) {
      res.request().connection().close();
      return Future.succeededFuture(new RetrieveAnswer.Rejected("answer of " + declared + " bytes is over the limit"));
    }
    String contentType = res.getHeader("Content-Type");
    int status = res.statusCode();
    if (!expectChanges) {
      // Streamed from the socket through the checks into the store: never whole in memory.
      ResponseInput body = new ResponseInput(res, maxAnswerBytes, timeout);
      return transferWorkers.executeBlocking(() -> {
        try (body) {
          return documentReader.read(status, contentType, body, isoServer, () -> new StoredDocumentSink(payloads));
        }
      }, false);
    }
    return res.body().compose(body -> {
      if (body.length() > maxAnswerBytes) {
        return Future.succeededFuture(new RetrieveAnswer.Rejected("answer over the limit"));
      }
      byte[] bytes = body.getBytes();
      return workers.executeBlocking(() -> reader.read(status, contentType, bytes, isoServer), false);
    });
  }

  static Future<RetrieveAnswer> transientFailure(Throwable e) {
    return Future.succeededFuture(new RetrieveAnswer.Transient(
        e.getClass().getSimpleName() + ": " + (e.getMessage() == null ? "no detail" : e.getMessage())));
  }

  private static X509Certificate peer(io.vertx.core.http.HttpConnection connection) {
    try {
      List<Certificate> chain = connection.peerCertificates();
      return chain == null || chain.isEmpty() ? null : (X509Certificate) chain.get(0);
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private static long parseLength(String header) {
    try {
      return header == null ? -1 : Long.parseLong(header.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(evictTimer);
    clients.values().forEach(p -> p.client.close());
    clients.clear();
    transferWorkers.close();
  }
}
