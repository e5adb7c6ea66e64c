package org.omspush.isosim.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.omspush.isosim.pki.Pem;
import org.omspush.isosim.state.IsoState;

/**
 * The stand-in ISO's side over HTTPS: the retrieve services at
 * {@code https://localhost:<port>/sst/oms/{service}} (SOAP 1.1, WS-Security, mutual TLS 1.2/1.3,
 * the AUP per client certificate and service), and {@code GET /isosim/stats} (JSON, client
 * certificate required like everything else).
 *
 * <pre>{@code
 * IsoSim iso = IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(Duration.ofSeconds(1)))
 *     .toCompletionStage().toCompletableFuture().get();
 * OutageVersion v1 = iso.state().createOutage("OMS-1", "RESOURCE", "RECEIVED");
 * OutageStatusChange push = iso.state().statusChange(v1); // with a fresh claim check
 * ...
 * iso.close();
 * }</pre>
 */
public final class IsoSim {

  /** The only protocols the ISO speaks. */
  public static final Set<String> TLS_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
  static final String WORKER_POOL = "isosim-worker";

  private final IsoSimOptions options;
  private final HttpServer server;
  private final WorkerExecutor workers;
  private final IsoState state;
  private final Faults faults;
  private final CallLedger ledger;
  private final AupPolicy aup;
  private final X509Certificate serverCertificate;

  private IsoSim(IsoSimOptions options, HttpServer server, WorkerExecutor workers,
      IsoState state, Faults faults, CallLedger ledger, AupPolicy aup,
      X509Certificate serverCertificate) {
    this.options = options;
    this.server = server;
    this.workers = workers;
    this.state = state;
    this.faults = faults;
    this.ledger = ledger;
    this.aup = aup;
    this.serverCertificate = serverCertificate;
  }

  /**
   * Loads the server credential and sets up WSS4J on worker threads while the server starts
   * listening; completes when both are done.
   */
  public static Future<IsoSim> start(Vertx vertx, IsoSimOptions options) {
    Objects.requireNonNull(options.serverCertificate(), "server certificate");
    Objects.requireNonNull(options.clientCaBundle(), "client CA bundle");
    IsoState state = options.state() != null ? options.state()
        : new IsoState(Clock.systemUTC(), options.tokenLifetime(), options.documentSize());
    WorkerExecutor workers = vertx.createSharedWorkerExecutor(WORKER_POOL,
        options.workerPoolSize());
    Future<AnswerSigner> signer = workers.executeBlocking(() -> {
      RequestSecurity.init();
      AnswerSigner.init();
      List<X509Certificate> chain = Pem.readCertificates(options.serverCertificate());
      PrivateKey key = Pem.readPrivateKey(options.serverKey());
      return new AnswerSigner(chain.get(0), key);
    }, false);
    AtomicReference<RetrieveEndpoint> endpoint = new AtomicReference<>();
    Future<HttpServer> listening = vertx.createHttpServer(httpOptions(options))
        .requestHandler(request -> {
          RetrieveEndpoint ready = endpoint.get();
          if (ready != null) {
            ready.handle(request);
          } else {
            request.response().setStatusCode(503).end();
          }
        })
        .listen();
    return Future.all(signer, listening).compose(started -> {
      Faults faults = new Faults();
      CallLedger ledger = new CallLedger();
      AupPolicy aup = new AupPolicy(options.aupInterval());
      RetrieveDesk desk = new RetrieveDesk(state, signer.result(), faults,
          options.changesPageSize(), options.maxRequestBytes(), options::participantOf);
      endpoint.set(new RetrieveEndpoint(vertx, workers, desk, aup, options.aupStatus(), faults,
          ledger, options.maxRequestBytes()));
      return Future.succeededFuture(new IsoSim(options, listening.result(), workers, state,
          faults, ledger, aup, signer.result().certificate()));
    }).recover(failure -> {
      Future<Void> closed = listening.succeeded() ? listening.result().close()
          : Future.succeededFuture();
      return closed.eventually(workers::close).transform(ignored -> Future.failedFuture(failure));
    });
  }

  private static HttpServerOptions httpOptions(IsoSimOptions options) {
    return new HttpServerOptions()
        .setHost(options.host())
        .setPort(options.port())
        .setSsl(true)
        .setUseAlpn(false)
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(TLS_PROTOCOLS)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(options.serverCertificate().toString())
            .setKeyPath(options.serverKey().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(options.clientCaBundle().toString()))
        .setIdleTimeout(120);
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** {@code https://localhost:<port>}. */
  public String baseUrl() {
    return "https://localhost:" + port();
  }

  /** {@code {baseUrl}/sst/oms/{serviceName}}. */
  public String serviceUrl(RetrieveService service) {
    return baseUrl() + service.path();
  }

  /** {@code {baseUrl}/isosim/stats}: the stats as JSON (client certificate required). */
  public String statsUrl() {
    return baseUrl() + RetrieveEndpoint.STATS_PATH;
  }

  /** The outages, market events and tokens it serves (change it at any time). */
  public IsoState state() {
    return state;
  }

  /** Fault injection, settable at any time. */
  public Faults faults() {
    return faults;
  }

  /** Calls and AUP violations so far, per (identity, service) and in total. */
  public IsoStats stats() {
    return ledger.snapshot();
  }

  /** The latest calls (up to 100,000) in arrival order. */
  public List<IsoStats.Call> calls() {
    return ledger.calls();
  }

  /** Forgets the counts and the call log. */
  public void resetStats() {
    ledger.reset();
  }

  /** Forgets every AUP window: the next call of each (certificate, service) is accepted. */
  public void resetAup() {
    aup.reset();
  }

  /** The certificate that signs every answer (and serves TLS). */
  public X509Certificate serverCertificate() {
    return serverCertificate;
  }

  public IsoSimOptions options() {
    return options;
  }

  /** Stops listening, closes every connection (hung calls too) and the worker pool. */
  public Future<Void> close() {
    return server.close().eventually(() -> workers.close());
  }
}
