package org.omspush.isosim.server;

/**
 * Why a retrieve call got no document: the HTTP status, whose mistake it is ({@code soap:Client}
 * or {@code soap:Server}), a short code for logs, and a description a person can act on. It
 * becomes a SOAP Fault whose detail is a StandardOutput Event with result {@code Failure}.
 */
record RetrieveFault(int httpStatus, boolean clientFault, String code, String description) {

  static RetrieveFault malformed(String description) {
    return new RetrieveFault(400, true, "malformed", description);
  }

  static RetrieveFault dtd(String description) {
    return new RetrieveFault(400, true, "dtd_not_allowed", description);
  }

  static RetrieveFault forbidden(String description) {
    return new RetrieveFault(403, true, "forbidden", description);
  }

  static RetrieveFault noAccess(String service) {
    return new RetrieveFault(403, true, "no_access", "The certificate has no access to the service "
        + service + "; ask your user access administrator to grant it");
  }

  static RetrieveFault methodNotAllowed(String method) {
    return new RetrieveFault(405, true, "method_not_allowed",
        "Only POST is served here, not " + method);
  }

  static RetrieveFault tooLarge(int limit) {
    return new RetrieveFault(413, true, "too_large",
        "The request is larger than " + limit + " bytes");
  }

  static RetrieveFault unsupportedMediaType(String contentType) {
    return new RetrieveFault(415, true, "unsupported_media_type",
        "Content-Type must be text/xml (SOAP 1.1), not " + contentType);
  }

  static RetrieveFault unknownAction(String description) {
    return new RetrieveFault(500, true, "unknown_action", description);
  }

  /** The request was fine, but there is nothing to serve for it (expired token, unknown id). */
  static RetrieveFault notServed(String description) {
    return new RetrieveFault(500, true, "not_served", description);
  }

  /** Another participant's claim check (iso-interface.md, "Several participants in one deployment"). */
  static RetrieveFault notIssuedToCaller() {
    return new RetrieveFault(400, true, "not_issued_to_participant", "claim check not issued to this participant");
  }

  static RetrieveFault unavailable() {
    return new RetrieveFault(503, false, "unavailable",
        "The service is temporarily unavailable; retry later");
  }

  static RetrieveFault internal(String description) {
    return new RetrieveFault(500, false, "internal", description);
  }
}
