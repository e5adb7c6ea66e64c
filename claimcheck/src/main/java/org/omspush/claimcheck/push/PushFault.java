package org.omspush.claimcheck.push;

/**
 * Why a push was refused: a code for metrics and logs, the HTTP status and SOAP faultcode of
 * the contract, and a description a person at the ISO can act on.
 */
public record PushFault(Reason reason, String description) {

  /** The refusals of the contract, each with its HTTP status and whose mistake it is. */
  public enum Reason {
    MALFORMED_XML(400, true),
    DTD_NOT_ALLOWED(400, true),
    NOT_SOAP(400, true),
    MISSING_HEADER(400, true),
    INVALID_HEADER(400, true),
    EXPIRED(400, true),
    NOT_YET_VALID(400, true),
    INVALID_BODY(400, true),
    CLIENT_NOT_ALLOWED(403, true),
    UNKNOWN_PARTICIPANT(404, true),
    SIGNATURE_MISSING(403, true),
    SIGNATURE_INVALID(403, true),
    SIGNER_MISMATCH(403, true),
    METHOD_NOT_ALLOWED(405, true),
    TOO_LARGE(413, true),
    UNSUPPORTED_MEDIA_TYPE(415, true),
    UNKNOWN_ACTION(500, true),
    STORAGE_UNAVAILABLE(503, false),
    /** Too many pushes in flight on this replica: retry after the Retry-After seconds. */
    OVERLOADED(503, false),
    INTERNAL_ERROR(500, false);

    private final int httpStatus;
    private final boolean clientFault;

    Reason(int httpStatus, boolean clientFault) {
      this.httpStatus = httpStatus;
      this.clientFault = clientFault;
    }

    public int httpStatus() {
      return httpStatus;
    }

    /** {@code soap:Client} for the sender's mistakes, {@code soap:Server} for ours. */
    public boolean clientFault() {
      return clientFault;
    }

    /** The value used in metric tags and log lines, e.g. {@code signature_invalid}. */
    public String code() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static PushFault of(Reason reason, String description) {
    return new PushFault(reason, description);
  }
}
