package org.omspush.claimcheck.retrieve;

import java.util.List;
import org.w3c.dom.Element;

/** What one retrieve call came back with. Only {@link Document} and {@link Changes} carry data. */
public sealed interface RetrieveAnswer {

  /**
   * A verified attachment, its gzip (as the ISO sent it) stored as payload {@code payloadId}, not
   * yet complete: the document's header fields, and the size and SHA-256 (lowercase hex) of the
   * uncompressed XML. Whoever takes it completes the payload or discards it.
   */
  record Document(DocumentHead head, long payloadId, long size, String sha256) implements RetrieveAnswer {}

  /** A page of RetrieveOutageChanges: the OutageStatusChange elements, oldest first. */
  record Changes(List<Element> changes, boolean more, String cursor) implements RetrieveAnswer {}

  /** The ISO's AUP page (429, or 200 with text/html): not a failure, the gate moves forward. */
  record AupPage(int httpStatus) implements RetrieveAnswer {}

  /** 403: this certificate has no access to the service. Not retryable; an alert. */
  record Forbidden(String description) implements RetrieveAnswer {}

  /**
   * A signed SOAP Fault whose Event says why (e.g. an expired or unknown token). {@code code} is
   * the faultcode as sent ({@code soap:Client}, {@code soap:Server}), or null when unknown.
   */
  record Fault(int httpStatus, String code, String description) implements RetrieveAnswer {
    public Fault(int httpStatus, String description) {
      this(httpStatus, null, description);
    }

    /**
     * The ISO's own trouble ({@code soap:Server}, or {@code Server.…}): worth retrying later.
     * Without a faultcode, a 503 says the same.
     */
    public boolean serverFault() {
      if (code == null) {
        return httpStatus == 503;
      }
      String local = code.substring(code.indexOf(':') + 1);
      return local.equals("Server") || local.startsWith("Server.");
    }

    /** The token cannot be redeemed any more: ask by key instead. */
    public boolean tokenUnusable() {
      String d = description == null ? "" : description.toLowerCase(java.util.Locale.ROOT);
      return d.contains("token") && (d.contains("expired") || d.contains("unknown") || d.contains("not found")
          || d.contains("invalid"));
    }
  }

  /**
   * The ISO answered with the document, but it could not be stored here (the database failed):
   * worth retrying later, and no sign that the ISO is unavailable.
   */
  record NotStored(String reason) implements RetrieveAnswer {}

  /** Worth retrying later: 5xx without a usable fault, a timeout, a refused connection. */
  record Transient(String reason) implements RetrieveAnswer {}

  /** The answer cannot be accepted: bad hash, bad signature, not what was asked for. Retried, never stored. */
  record Rejected(String reason) implements RetrieveAnswer {}
}
