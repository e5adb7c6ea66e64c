package org.omspush.receiver.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How certificates are watched, and what {@code doctor} checks them against.
 *
 * @param reloadInterval OMS_TLS_RELOAD_INTERVAL (default 30s): how often the push server's
 *                       certificate, key and client CAs are read again; a changed, valid set is
 *                       swapped in without a restart
 * @param warnDays       OMS_CERT_EXPIRY_WARN_DAYS (default 30): fewer days left than this is a WARN
 * @param serverCa       OMS_TLS_SERVER_CA (optional): the CA(s) the ISO uses to verify the push
 *                       server's certificate; {@code doctor} checks the chain against it
 * @param pushPublicUrl  OMS_PUSH_PUBLIC_URL (optional): the push endpoint's URL as registered with
 *                       the ISO; {@code doctor} prints it and checks the certificate names its host
 */
public record CertificateSettings(Duration reloadInterval, int warnDays, Path serverCa, URI pushPublicUrl) {

  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(30);
  public static final int DEFAULT_WARN_DAYS = 30;

  public static CertificateSettings defaults() {
    return new CertificateSettings(DEFAULT_RELOAD_INTERVAL, DEFAULT_WARN_DAYS, null, null);
  }

  static CertificateSettings from(Settings s) {
    Duration interval = s.duration("OMS_TLS_RELOAD_INTERVAL", DEFAULT_RELOAD_INTERVAL);
    // Short intervals are for tests; reading three small files is cheap, but not in a tight loop.
    if (interval.compareTo(Duration.ofMillis(100)) < 0 || interval.compareTo(Duration.ofDays(1)) > 0) {
      throw new ConfigException("OMS_TLS_RELOAD_INTERVAL", "must be between 100ms and 1d, not "
          + s.string("OMS_TLS_RELOAD_INTERVAL", ""));
    }
    long warn = s.number("OMS_CERT_EXPIRY_WARN_DAYS", DEFAULT_WARN_DAYS);
    if (warn < 1 || warn > 365) {
      throw new ConfigException("OMS_CERT_EXPIRY_WARN_DAYS", "must be 1 to 365 days, not " + warn);
    }
    Path serverCa = s.string("OMS_TLS_SERVER_CA", null) == null ? null
        : s.readableFile("OMS_TLS_SERVER_CA", "the CA certificates (PEM) the ISO trusts for the push server");
    if (serverCa != null) {
      org.omspush.receiver.tls.TlsFiles.certificates("OMS_TLS_SERVER_CA", serverCa);
    }
    return new CertificateSettings(interval, (int) warn, serverCa, pushPublicUrl(s));
  }

  private static URI pushPublicUrl(Settings s) {
    String v = s.string("OMS_PUSH_PUBLIC_URL", null);
    if (v == null) {
      return null;
    }
    URI u;
    try {
      u = new URI(v);
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException("OMS_PUSH_PUBLIC_URL", "'" + v + "' is not a URL");
    }
    if (!"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null || u.getRawUserInfo() != null
        || u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new ConfigException("OMS_PUSH_PUBLIC_URL",
          "must be the https URL registered with the ISO, without query, e.g. https://oms.example.com/iso/v1/push");
    }
    return u;
  }
}
