package org.omspush.receiver.config;

import java.nio.file.Path;

/**
 * The payload listener: where subscribers download payloads too large to go inline, on a port of
 * its own so that the admin API never faces them.
 *
 * @param host      OMS_PAYLOAD_HOST (default 0.0.0.0)
 * @param port      OMS_PAYLOAD_PORT (default 8444; 0 = any free port)
 * @param tlsCert   OMS_PAYLOAD_TLS_CERT; null = the push server's certificate (OMS_TLS_CERT), reloaded with it
 * @param tlsKey    OMS_PAYLOAD_TLS_KEY; null with {@code tlsCert}
 * @param plainHttp the listener serves plain HTTP: only when OMS_PAYLOAD_ALLOW_HTTP=true and
 *                  OMS_PUBLIC_BASE_URL is an http URL (trials)
 */
public record PayloadConfig(String host, int port, Path tlsCert, Path tlsKey, boolean plainHttp) {

  static final String ALLOW_HTTP = "OMS_PAYLOAD_ALLOW_HTTP";

  /** Whether the public base URL may be http (trials only). */
  static boolean httpAllowed(Settings s) {
    return s.bool(ALLOW_HTTP, false);
  }

  static PayloadConfig from(Settings s, String publicBaseUrl) {
    String cert = s.string("OMS_PAYLOAD_TLS_CERT", null);
    String key = s.string("OMS_PAYLOAD_TLS_KEY", null);
    if ((cert == null) != (key == null)) {
      throw new ConfigException(cert == null ? "OMS_PAYLOAD_TLS_CERT" : "OMS_PAYLOAD_TLS_KEY",
          "set both OMS_PAYLOAD_TLS_CERT and OMS_PAYLOAD_TLS_KEY, or neither (then the push server's certificate is used)");
    }
    Path certFile = cert == null ? null : s.readableFile("OMS_PAYLOAD_TLS_CERT", "the payload listener's certificate chain (PEM)");
    Path keyFile = key == null ? null : s.readableFile("OMS_PAYLOAD_TLS_KEY", "the payload listener's private key (PEM)");
    boolean plain = publicBaseUrl != null && publicBaseUrl.startsWith("http:");
    return new PayloadConfig(s.string("OMS_PAYLOAD_HOST", "0.0.0.0"), s.port("OMS_PAYLOAD_PORT", 8444), certFile,
        keyFile, plain);
  }

  /** Whether the listener uses a certificate of its own rather than the push server's. */
  public boolean ownCertificate() {
    return tlsCert != null;
  }
}
