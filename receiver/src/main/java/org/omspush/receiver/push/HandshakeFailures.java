package org.omspush.receiver.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.CertificateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections to the push port that failed before a request: counted by reason on
 * {@code oms_push_handshakes_refused_total}, and a client certificate on a CRL logged at WARN
 * (the ISO revoked it: pushes signed with it will not arrive).
 */
public final class HandshakeFailures {
  /** What Vert.x's CRL check throws for a listed certificate. */
  private static final String REVOKED = "Certificate revoked";
  private static final Logger log = LoggerFactory.getLogger(HandshakeFailures.class);

  private final Counter revoked;
  private final Counter other;

  public HandshakeFailures(MeterRegistry registry) {
    this.revoked = Counter.builder("oms_push_handshakes_refused_total").tag("reason", "revoked")
        .description("Connections to the push port refused before a request (revoked: the client certificate is on"
            + " a CRL of OMS_TLS_CRL)")
        .register(registry);
    this.other = Counter.builder("oms_push_handshakes_refused_total").tag("reason", "other").register(registry);
  }

  public void failed(Throwable e) {
    if (isRevoked(e)) {
      revoked.increment();
      log.warn("push connection refused: the client certificate is revoked by a CRL of OMS_TLS_CRL");
    } else {
      other.increment();
      log.debug("push connection failed before a request", e);
    }
  }

  private static boolean isRevoked(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateException && REVOKED.equals(t.getMessage())) {
        return true;
      }
    }
    return false;
  }
}
