package org.omspush.isosim.server;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.state.IsoState;

/**
 * How an {@link IsoSim} runs: its server certificate and key, the CA bundle client
 * certificates must chain to, where it listens, the AUP interval and status, the page size of
 * the changes service, token lifetime and default document size of a fresh state (or a state
 * to share), the request size limit and the worker pool size. Mutable builder; read once at
 * start.
 */
public final class IsoSimOptions {

  public static final Duration DEFAULT_AUP_INTERVAL = Duration.ofSeconds(5);
  public static final int DEFAULT_AUP_STATUS = 429;
  public static final int DEFAULT_CHANGES_PAGE_SIZE = 500;
  public static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

  private Path serverCertificate;
  private Path serverKey;
  private Path clientCaBundle;
  private String host = "127.0.0.1";
  private int port;
  private Duration aupInterval = DEFAULT_AUP_INTERVAL;
  private int aupStatus = DEFAULT_AUP_STATUS;
  private int changesPageSize = DEFAULT_CHANGES_PAGE_SIZE;
  private Duration tokenLifetime = IsoState.DEFAULT_TOKEN_LIFETIME;
  private int documentSize = IsoState.DEFAULT_DOCUMENT_SIZE;
  private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
  private int workerPoolSize = 8;
  private IsoState state;
  /** certificate → participant: a participant may have several (a renewal registered beside the old one). */
  private final Map<X509Certificate, String> participants = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The ISO of a dev PKI: server certificate {@code iso-server.pem} (SAN localhost, 127.0.0.1),
   * client certificates chaining to {@code iso-ca-bundle.pem}; loopback, a free port.
   */
  public static IsoSimOptions of(DevPki pki) {
    return new IsoSimOptions()
        .serverCertificate(pki.isoServer().certificateFile(), pki.isoServer().keyFile())
        .clientCaBundle(pki.isoCaBundle());
  }

  /** The server certificate (PEM, leaf first then its CA) and its key (PEM). */
  public IsoSimOptions serverCertificate(Path certificate, Path key) {
    this.serverCertificate = Objects.requireNonNull(certificate, "certificate");
    this.serverKey = Objects.requireNonNull(key, "key");
    return this;
  }

  /** The CA certificates (PEM) every client certificate must chain to. */
  public IsoSimOptions clientCaBundle(Path bundle) {
    this.clientCaBundle = Objects.requireNonNull(bundle, "bundle");
    return this;
  }

  /** The address to bind (127.0.0.1 by default). */
  public IsoSimOptions host(String address) {
    this.host = Objects.requireNonNull(address, "host");
    return this;
  }

  /** The port (0, the default, picks a free one). */
  public IsoSimOptions port(int number) {
    if (number < 0 || number > 65535) {
      throw new IllegalArgumentException("port " + number);
    }
    this.port = number;
    return this;
  }

  /**
   * The AUP interval per (certificate, service) (5 s by default; zero switches the AUP off).
   * The page still says "5 seconds", as the ISO's does.
   */
  public IsoSimOptions aupInterval(Duration interval) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("the AUP interval must not be negative");
    }
    this.aupInterval = interval;
    return this;
  }

  /** The HTTP status of the AUP page: 429 (default) or 200, as the ISO sometimes sends. */
  public IsoSimOptions aupStatus(int status) {
    if (status != 429 && status != 200) {
      throw new IllegalArgumentException("the AUP page comes with 429 or 200, not " + status);
    }
    this.aupStatus = status;
    return this;
  }

  /** At most this many changes per RetrieveOutageChanges answer (500 by default). */
  public IsoSimOptions changesPageSize(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("page size must be at least 1");
    }
    this.changesPageSize = size;
    return this;
  }

  /** How long issued claim check tokens stay valid, for a fresh state (24 h by default). */
  public IsoSimOptions tokenLifetime(Duration lifetime) {
    this.tokenLifetime = Objects.requireNonNull(lifetime, "lifetime");
    return this;
  }

  /** The default document size in bytes, for a fresh state (4096 by default). */
  public IsoSimOptions documentSize(int bytes) {
    this.documentSize = bytes;
    return this;
  }

  /** Requests larger than this get 413 (1 MiB by default). */
  public IsoSimOptions maxRequestBytes(int bytes) {
    if (bytes < 1024) {
      throw new IllegalArgumentException("allow requests of at least 1 KiB");
    }
    this.maxRequestBytes = bytes;
    return this;
  }

  /** Threads for parsing, verifying, compressing and signing (8 by default). */
  public IsoSimOptions workerPoolSize(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("at least one worker thread");
    }
    this.workerPoolSize = threads;
    return this;
  }

  /** Serve this state (shared with the caller) instead of a fresh one. */
  public IsoSimOptions state(IsoState shared) {
    this.state = shared;
    return this;
  }

  /**
   * The participants and their certificates (key → certificate), as the ISO's AIM records them:
   * a claim check issued to one participant is honoured only when its certificate presents it.
   * A certificate named here by no participant is treated as before participants.
   */
  public IsoSimOptions participants(Map<String, X509Certificate> byKey) {
    participants.clear();
    byKey.forEach((key, certificate) -> participants.put(certificate, key));
    return this;
  }

  /**
   * Registers one more certificate of a participant (a renewed one, or a participant added), also
   * while the stand-in runs: its calls count as that participant's from now on.
   */
  public IsoSimOptions participant(String key, X509Certificate certificate) {
    participants.put(certificate, key);
    return this;
  }

  /** The participant whose certificate this is, or null. */
  public String participantOf(X509Certificate certificate) {
    if (certificate == null) {
      return null;
    }
    return participants.get(certificate);
  }

  public Path serverCertificate() {
    return serverCertificate;
  }

  public Path serverKey() {
    return serverKey;
  }

  public Path clientCaBundle() {
    return clientCaBundle;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public Duration aupInterval() {
    return aupInterval;
  }

  public int aupStatus() {
    return aupStatus;
  }

  public int changesPageSize() {
    return changesPageSize;
  }

  public Duration tokenLifetime() {
    return tokenLifetime;
  }

  public int documentSize() {
    return documentSize;
  }

  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  public int workerPoolSize() {
    return workerPoolSize;
  }

  /** The state to serve, or null for a fresh one. */
  public IsoState state() {
    return state;
  }
}
