package org.omspush.isosim.push;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.omspush.isosim.pki.DevPki;

/**
 * How a {@link Pusher} connects: the client certificate and key it presents (PEM), the CA it
 * trusts for the receiver's server certificate (PEM), the TLS protocols it offers, the size of
 * its connection pool, and how it writes the SOAPAction header.
 */
public final class PusherOptions {

  /** The only protocols the ISO speaks since April 2018. */
  public static final Set<String> ISO_TLS_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  private Path clientCertificate;
  private Path clientKey;
  private Path trustedCa;
  private int poolSize = 1;
  private Set<String> tlsProtocols = ISO_TLS_PROTOCOLS;
  private boolean quotedSoapAction = true;
  private boolean verifyHost = true;
  private Duration timeout = Duration.ofSeconds(30);

  /** Pushes as the ISO: its push client certificate, trusting the receiver's server CA. */
  public static PusherOptions asIso(DevPki pki) {
    return new PusherOptions()
        .clientCertificate(pki.isoPushClient().certificateFile(), pki.isoPushClient().keyFile())
        .trustedCa(pki.serverCa().certificateFile());
  }

  /** Presents this certificate (PEM, leaf first then its CA) and key (PEM, PKCS#8 or PKCS#1). */
  public PusherOptions clientCertificate(Path certificate, Path key) {
    this.clientCertificate = certificate;
    this.clientKey = key;
    return this;
  }

  /** Presents the credential's certificate and key. */
  public PusherOptions clientCertificate(DevPki.Credential credential) {
    return clientCertificate(credential.certificateFile(), credential.keyFile());
  }

  /** Presents no client certificate at all. */
  public PusherOptions noClientCertificate() {
    this.clientCertificate = null;
    this.clientKey = null;
    return this;
  }

  /** Trusts the CA certificates in this PEM file for the server certificate. */
  public PusherOptions trustedCa(Path caPem) {
    this.trustedCa = Objects.requireNonNull(caPem, "caPem");
    return this;
  }

  /** At most this many HTTP/1.1 connections at once (1 by default). */
  public PusherOptions poolSize(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("pool size must be at least 1");
    }
    this.poolSize = size;
    return this;
  }

  /**
   * The TLS protocols offered (TLSv1.2 and TLSv1.3 by default). The JDK refuses to offer
   * TLSv1.1 or older while {@code jdk.tls.disabledAlgorithms} lists them (it does by default):
   * the handshake then fails on this side, before anything is sent. The receiver's
   * {@code TlsVersionProbe} (used by {@code doctor}) shows whether a server would accept an old protocol.
   */
  public PusherOptions tlsProtocols(Set<String> protocols) {
    if (protocols.isEmpty()) {
      throw new IllegalArgumentException("at least one TLS protocol");
    }
    this.tlsProtocols = Set.copyOf(protocols);
    return this;
  }

  /** Sends {@code SOAPAction: "action"} (true, the default, as SOAP 1.1 stacks do) or bare. */
  public PusherOptions quotedSoapAction(boolean quoted) {
    this.quotedSoapAction = quoted;
    return this;
  }

  /** Checks the server certificate's names against the URL's host (true by default). */
  public PusherOptions verifyHost(boolean verify) {
    this.verifyHost = verify;
    return this;
  }

  /** Gives up on a push when nothing arrives for this long (30 s by default). */
  public PusherOptions timeout(Duration limit) {
    this.timeout = Objects.requireNonNull(limit, "timeout");
    return this;
  }

  public Path clientCertificate() {
    return clientCertificate;
  }

  public Path clientKey() {
    return clientKey;
  }

  public Path trustedCa() {
    return trustedCa;
  }

  public int poolSize() {
    return poolSize;
  }

  public Set<String> tlsProtocols() {
    return tlsProtocols;
  }

  public boolean quotedSoapAction() {
    return quotedSoapAction;
  }

  public boolean verifyHost() {
    return verifyHost;
  }

  public Duration timeout() {
    return timeout;
  }
}
