package org.omspush.isosim.server;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The ISO's Acceptable Use Policy at its edge: per (client certificate, retrieve service), a call
 * that arrives less than the interval after the previous <em>accepted</em> call is refused with
 * the AUP page; a refused call does not restart the window. Arrivals are monotonic
 * {@link System#nanoTime()} readings taken at request start. An interval of zero admits all.
 */
final class AupPolicy {

  /** The ISO's page, exactly. */
  static final String PAGE = "<html><body><p>CAISO Acceptable Use Policy Violation. "
      + "Please retry your request after 5 seconds.</p></body></html>";
  static final String PAGE_CONTENT_TYPE = "text/html";

  private record Window(X509Certificate identity, RetrieveService service) {}

  private final long intervalNanos;
  private final Map<Window, Long> lastAccepted = new HashMap<>();

  AupPolicy(Duration interval) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("the AUP interval must not be negative");
    }
    this.intervalNanos = interval.toNanos();
  }

  /** True when the call is accepted (and starts a new window); false for a violation. */
  synchronized boolean admit(X509Certificate identity, RetrieveService service, long arrivalNanos) {
    Window window = new Window(identity, service);
    Long last = lastAccepted.get(window);
    if (last != null && arrivalNanos - last < intervalNanos) {
      return false;
    }
    lastAccepted.put(window, arrivalNanos);
    return true;
  }

  /** Forgets every window. */
  synchronized void reset() {
    lastAccepted.clear();
  }
}
