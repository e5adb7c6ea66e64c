package org.omspush.receiver.push;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;
import org.omspush.claimcheck.push.PushServiceDescription;
import org.omspush.claimcheck.push.StandardOutput;

/**
 * {@code GET {endpoint}?wsdl} and {@code ?xsd=NAME}: the push service's description, for SOAP
 * tooling. Served to any client that passed the TLS handshake: it holds nothing secret, and the
 * participant's own administrators fetch it with their own certificates.
 */
final class ServiceDescription {
  private final PushServiceDescription description = PushServiceDescription.load();

  /** True when the request asked for the description and has been answered. */
  boolean answer(HttpServerRequest req) {
    if (req.method() != HttpMethod.GET || req.query() == null) {
      return false;
    }
    String query = req.query();
    Optional<byte[]> body;
    if (query.equals("wsdl") || query.equals("WSDL")) {
      body = Optional.of(description.wsdl(address(req)));
    } else if (query.startsWith("xsd=")) {
      body = description.schema(query.substring("xsd=".length()));
    } else {
      return false;
    }
    req.resume();
    if (body.isEmpty()) {
      req.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
          .end("no such schema: the WSDL names " + String.join(", ", PushServiceDescription.SCHEMAS));
    } else {
      req.response().putHeader(HttpHeaders.CONTENT_TYPE, StandardOutput.CONTENT_TYPE)
          .end(io.vertx.core.buffer.Buffer.buffer(body.get()));
    }
    return true;
  }

  private static String address(HttpServerRequest req) {
    String host = req.getHeader(HttpHeaders.HOST);
    if (host == null || host.isBlank()) {
      host = req.localAddress().host() + ":" + req.localAddress().port();
    }
    return "https://" + host + req.path();
  }
}
