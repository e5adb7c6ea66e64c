package org.omspush.receiver.push;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.omspush.receiver.tls.TlsFiles;
import org.omspush.receiver.tls.TlsMaterial;

/** TLS for the push port: 1.2 and 1.3 only, forward-secret AEAD suites only, client certificate required. */
public final class PushServerOptions {
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_256_GCM_SHA384",
      "TLS_AES_128_GCM_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /** How long a new connection may take to send complete request headers (a kept-alive one: {@link PushLimits#keepAlive}). */
  public static final long HEADER_TIMEOUT_MS = 10_000;

  private PushServerOptions() {}

  public static HttpServerOptions of(String host, int port, TlsFiles tls) {
    HttpServerOptions o = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certChain().toString())
            .setKeyPath(tls.key().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(tls.clientCa().toString()))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
        .setSslHandshakeTimeout(HEADER_TIMEOUT_MS)
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        .setIdleTimeout(60)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxHeaderSize(16 * 1024)
        .setUseAlpn(false);
    CIPHER_SUITES.forEach(o::addEnabledCipherSuite);
    // a revoked client certificate fails the handshake (HandshakeFailures counts it)
    tls.crls().forEach(p -> o.addCrlPath(p.toString()));
    return o;
  }

  /**
   * The same TLS settings as {@code base} (protocols, suites, client authentication) with the
   * certificate, key, client CAs and revocation lists of {@code m}, given as bytes so the server
   * gets exactly the set that was checked: for swapping certificates into a running server.
   */
  public static ServerSSLOptions sslOptions(HttpServerOptions base, TlsMaterial m) {
    ServerSSLOptions ssl = base.getSslOptions().copy();
    ssl.getCrlPaths().clear();
    m.revocations().files().forEach(f -> ssl.addCrlValue(Buffer.buffer(f)));
    return ssl
        .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(m.certPem()))
            .addKeyValue(Buffer.buffer(m.keyPem())))
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(m.clientCaPem())));
  }
}
