package org.omspush.receiver.config;

import org.omspush.receiver.admin.AdminTls;
import org.omspush.receiver.tls.TlsFiles;

/** Reads {@link AdminTls}: both settings or neither (then the admin port is plain HTTP). */
final class AdminTlsSettings {

  private AdminTlsSettings() {}

  /** @return null when neither is set */
  static AdminTls from(Settings s) {
    boolean cert = s.string("OMS_ADMIN_TLS_CERT", null) != null;
    boolean key = s.string("OMS_ADMIN_TLS_KEY", null) != null;
    if (!cert && !key) {
      return null;
    }
    if (!cert) {
      throw new ConfigException("OMS_ADMIN_TLS_CERT", "not set, but OMS_ADMIN_TLS_KEY is: TLS on the admin port "
          + "needs both");
    }
    if (!key) {
      throw new ConfigException("OMS_ADMIN_TLS_KEY", "not set, but OMS_ADMIN_TLS_CERT is: TLS on the admin port "
          + "needs both");
    }
    AdminTls tls = new AdminTls(s.readableFile("OMS_ADMIN_TLS_CERT", "the admin port's certificate chain (PEM)"),
        s.readableFile("OMS_ADMIN_TLS_KEY", "the admin port's private key (PEM)"));
    // Read now, so a bad file stops start-up naming its setting, not at the first connection.
    TlsFiles.certificates("OMS_ADMIN_TLS_CERT", tls.certChain());
    Keys.read("OMS_ADMIN_TLS_KEY", tls.key());
    return tls;
  }
}
