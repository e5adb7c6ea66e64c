package org.omspush.isosim.push;

import java.time.Duration;

/**
 * What the receiver answered to one push: the HTTP status, the answer's Content-Type (null if
 * none) and body, and the time from sending the request to having the whole answer.
 */
public record PushResult(int statusCode, String contentType, String body, long latencyNanos) {

  public Duration latency() {
    return Duration.ofNanos(latencyNanos);
  }

  /** HTTP 200: the contract's only answer that means "stored". */
  public boolean accepted() {
    return statusCode == 200;
  }
}
