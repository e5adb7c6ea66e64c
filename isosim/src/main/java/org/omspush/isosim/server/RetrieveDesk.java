package org.omspush.isosim.server;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.state.ChangePosition;
import org.omspush.isosim.state.ChangesPage;
import org.omspush.isosim.state.Documents;
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.isosim.state.Redemption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The blocking part of a retrieve call, after the edge let it through: checks the request
 * (method, size, content type, SOAPAction, XML, WS-Security), serves the document or the page of
 * changes, and signs the answer. Every answer, faults included, is signed with the ISO's server
 * certificate. Runs on worker threads only.
 */
final class RetrieveDesk {

  private static final Logger LOG = LoggerFactory.getLogger(RetrieveDesk.class);
  static final String SOAP_CONTENT_TYPE = "text/xml; charset=utf-8";

  /** What the edge decided for the call before it reached the desk. */
  enum Injected { NONE, DENY, FAIL }

  /** A call as the desk sees it; {@code body} is null when the request was too large. */
  record Call(RetrieveService service, String pathService, String method, String contentType,
      String soapAction, byte[] body, X509Certificate client, Injected injected) {}

  /** The HTTP answer. */
  record Answer(int status, String contentType, byte[] body) {}

  private final IsoState state;
  private final AnswerSigner signer;
  private final Faults faults;
  private final int pageSize;
  private final int maxRequestBytes;
  private final java.util.function.Function<X509Certificate, String> participantOf;

  /** @param participantOf the participant whose certificate calls, or null for one that is no configured participant's */
  RetrieveDesk(IsoState state, AnswerSigner signer, Faults faults, int pageSize,
      int maxRequestBytes, java.util.function.Function<X509Certificate, String> participantOf) {
    this.participantOf = participantOf;
    this.state = state;
    this.signer = signer;
    this.faults = faults;
    this.pageSize = pageSize;
    this.maxRequestBytes = maxRequestBytes;
  }

  Answer answer(Call call) {
    Document answer;
    int status = 200;
    try {
      answer = serve(call);
    } catch (RefusedException e) {
      answer = Answers.fault(e.fault());
      status = e.fault().httpStatus();
    } catch (RuntimeException e) {
      LOG.warn("retrieve {} failed", call.pathService(), e);
      RetrieveFault fault = RetrieveFault.internal("The ISO could not answer: "
          + e.getClass().getSimpleName());
      answer = Answers.fault(fault);
      status = fault.httpStatus();
    }
    signer.sign(answer);
    return new Answer(status, SOAP_CONTENT_TYPE, Dom.serialize(answer, 8192));
  }

  /** An unknown service path: a signed fault, never a document. */
  Answer unknownService(String pathService) {
    Document fault = Answers.fault(RetrieveFault.unknownAction(
        "There is no service " + pathService + " under " + RetrieveService.PATH_PREFIX));
    signer.sign(fault);
    return new Answer(500, SOAP_CONTENT_TYPE, Dom.serialize(fault, 4096));
  }

  private Document serve(Call call) throws RefusedException {
    switch (call.injected()) {
      case DENY -> throw new RefusedException(RetrieveFault.noAccess(call.pathService()));
      case FAIL -> throw new RefusedException(RetrieveFault.unavailable());
      case NONE -> { }
    }
    if (!"POST".equals(call.method())) {
      throw new RefusedException(RetrieveFault.methodNotAllowed(call.method()));
    }
    if (call.body() == null) {
      throw new RefusedException(RetrieveFault.tooLarge(maxRequestBytes));
    }
    String contentType = call.contentType() == null ? "" : call.contentType();
    if (!contentType.toLowerCase().strip().startsWith("text/xml")) {
      throw new RefusedException(RetrieveFault.unsupportedMediaType(
          contentType.isEmpty() ? "none" : contentType));
    }
    String action = unquote(call.soapAction());
    if (!call.service().serviceName().equals(action)) {
      throw new RefusedException(RetrieveFault.unknownAction("SOAPAction "
          + (call.soapAction() == null ? "is missing" : "'" + call.soapAction() + "'")
          + "; this path serves \"" + call.service().serviceName() + "\""));
    }
    Document request;
    try {
      request = Dom.parse(call.body());
    } catch (Dom.NotXmlException e) {
      throw new RefusedException(e.dtd() ? RetrieveFault.dtd(e.getMessage())
          : RetrieveFault.malformed(e.getMessage()));
    }
    Element body = RequestSecurity.check(request, call.client(), Instant.now());
    String caller = participantOf.apply(call.client());
    return switch (call.service()) {
      case OUTAGE_BY_CLAIM_CHECK -> outageDocument(body, caller);
      case MARKET_EVENT_BY_CLAIM_CHECK -> marketEventDocument(body, caller);
      case OUTAGE_CHANGES -> changes(body, caller);
    };
  }

  private Document outageDocument(Element body, String caller) throws RefusedException {
    Element request = requestElement(body, "RetrieveByClaimCheck");
    String token = field(request, "token");
    String mrid = field(request, "outageMRID");
    if ((token == null) == (mrid == null)) {
      throw new RefusedException(RetrieveFault.malformed(
          "RetrieveByClaimCheck needs exactly one of token and outageMRID"));
    }
    Redemption redemption = token != null ? state.redeemOutageToken(token, caller)
        : state.redeemOutage(mrid, caller);
    return switch (redemption.outcome()) {
      case OUTAGE -> attachment(RetrieveService.OUTAGE_BY_CLAIM_CHECK,
          Documents.outage(redemption.outage()));
      case EXPIRED_TOKEN -> throw notServed("claim check token expired: ask again with "
          + "<outageMRID> for the newest version");
      case UNKNOWN_TOKEN -> throw notServed("unknown claim check token: ask again with "
          + "<outageMRID> for the newest version");
      case NOT_ISSUED_TO_CALLER -> throw new RefusedException(RetrieveFault.notIssuedToCaller());
      default -> throw notServed("unknown outage mRID '" + mrid + "'");
    };
  }

  private Document marketEventDocument(Element body, String caller) throws RefusedException {
    Element request = requestElement(body, "RetrieveByClaimCheck");
    String token = field(request, "token");
    String eventId = field(request, "eventId");
    if ((token == null) == (eventId == null)) {
      throw new RefusedException(RetrieveFault.malformed(
          "RetrieveByClaimCheck needs exactly one of token and eventId"));
    }
    Redemption redemption = token != null ? state.redeemMarketEventToken(token, caller)
        : state.redeemMarketEvent(eventId);
    return switch (redemption.outcome()) {
      case MARKET_EVENT -> attachment(RetrieveService.MARKET_EVENT_BY_CLAIM_CHECK,
          Documents.marketEvent(redemption.marketEvent()));
      case EXPIRED_TOKEN -> throw notServed("claim check token expired: ask again with "
          + "<eventId>");
      case UNKNOWN_TOKEN -> throw notServed("unknown claim check token: ask again with "
          + "<eventId>");
      case NOT_ISSUED_TO_CALLER -> throw new RefusedException(RetrieveFault.notIssuedToCaller());
      default -> throw notServed("unknown market event eventId '" + eventId + "'");
    };
  }

  private Document attachment(RetrieveService service, byte[] document) {
    Attachment attachment = Attachment.of(document);
    if (faults.take(service, Faults.Kind.CORRUPT_HASH)) {
      attachment = attachment.withWrongHash();
    }
    return Answers.attachment(attachment);
  }

  private Document changes(Element body, String caller) throws RefusedException {
    Element request = requestElement(body, "RetrieveChanges");
    String since = field(request, "since");
    String cursor = field(request, "cursor");
    if ((since == null) == (cursor == null)) {
      throw new RefusedException(RetrieveFault.malformed(
          "RetrieveChanges needs exactly one of since and cursor"));
    }
    ChangePosition position;
    if (since != null) {
      try {
        position = ChangePosition.after(OffsetDateTime.parse(since).toInstant());
      } catch (DateTimeParseException e) {
        throw new RefusedException(RetrieveFault.malformed(
            "since is not an xs:dateTime with a time zone: '" + Dom.clip(since) + "'"));
      }
    } else {
      try {
        position = ChangePosition.fromCursor(cursor);
      } catch (IllegalArgumentException e) {
        throw new RefusedException(RetrieveFault.malformed("cursor '" + Dom.clip(cursor)
            + "' was not given by this service; start again with since"));
      }
    }
    ChangesPage page = state.changesAfter(position, pageSize, caller);
    List<OutageStatusChange> changes = new ArrayList<>(page.changes().size());
    for (OutageVersion version : page.changes()) {
      changes.add(state.statusChange(version));
    }
    return Answers.changes(changes, page.more(), page.next().toCursor());
  }

  /** The body's only element, which must be {@code name} in urn:omspush:v1 (or no namespace). */
  private static Element requestElement(Element body, String name) throws RefusedException {
    List<Element> children = Dom.children(body);
    if (children.size() != 1 || !name.equals(children.get(0).getLocalName())
        || !ourNamespace(children.get(0))) {
      throw new RefusedException(RetrieveFault.malformed("The soap:Body must hold one <" + name
          + " xmlns=\"" + Answers.BODY_NS + "\">"));
    }
    return children.get(0);
  }

  /** The text of the only child {@code name}, or null; blank counts as absent. */
  private static String field(Element parent, String name) throws RefusedException {
    Element found = null;
    for (Element child : Dom.children(parent)) {
      if (name.equals(child.getLocalName()) && ourNamespace(child)) {
        if (found != null) {
          throw new RefusedException(RetrieveFault.malformed(parent.getLocalName()
              + " has more than one " + name));
        }
        found = child;
      }
    }
    if (found == null || found.getTextContent().isBlank()) {
      return null;
    }
    return found.getTextContent().strip();
  }

  private static boolean ourNamespace(Element element) {
    String namespace = element.getNamespaceURI();
    return namespace == null || namespace.isEmpty() || Answers.BODY_NS.equals(namespace);
  }

  private static RefusedException notServed(String description) {
    return new RefusedException(RetrieveFault.notServed(description));
  }

  static String unquote(String soapAction) {
    if (soapAction == null) {
      return null;
    }
    String action = soapAction.strip();
    if (action.length() >= 2 && action.startsWith("\"") && action.endsWith("\"")) {
      action = action.substring(1, action.length() - 1);
    }
    return action;
  }
}
