package org.omspush.claimcheck.push;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;
import org.omspush.store.ClaimCheck;
import org.omspush.store.MarketEvent;
import org.omspush.store.OutageChange;
import org.w3c.dom.Element;

/** The push bodies of our contract, namespace {@code urn:omspush:v1}. */
public final class OmsPushV1Mapping implements PushBodyMapping {
  public static final String OUTAGE_ACTION = "receiveOutageStatusChange_v1";
  public static final String MARKET_EVENT_ACTION = "receiveMarketEvent_v1";
  public static final String DEFAULT_OUTAGE_SERVICE = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";

  static final int MAX_MRID = 40;
  static final int MAX_TOKEN = 256;
  static final int MAX_SHORT_TEXT = 128;
  /** Free text; the body limit is its only bound (pushes of 1 MB and more are in the contract). */
  static final int MAX_DESCRIPTION = Integer.MAX_VALUE;

  private static final String NS = Ns.OMS_PUSH_V1;

  @Override
  public Set<String> actions() {
    return Set.of(OUTAGE_ACTION, MARKET_EVENT_ACTION);
  }

  @Override
  public ParsedPush read(String action, Element doc) throws PushRejectedException {
    try {
      return switch (action) {
        case OUTAGE_ACTION -> new ParsedPush.Outage(outage(expect(doc, "OutageStatusChange", action)));
        case MARKET_EVENT_ACTION -> new ParsedPush.Market(marketEvent(expect(doc, "MarketEvent", action)));
        default -> throw new PushRejectedException(PushFault.Reason.UNKNOWN_ACTION, "Unknown SOAPAction " + action);
      };
    } catch (Dom.DuplicateElementException e) {
      throw invalid(e.getMessage());
    }
  }

  private static Element expect(Element doc, String localName, String action) throws PushRejectedException {
    if (!Dom.is(doc, NS, localName)) {
      throw invalid("SOAPAction " + action + " needs a " + localName + " element in namespace " + NS
          + " as the body, not {" + doc.getNamespaceURI() + "}" + doc.getLocalName());
    }
    return doc;
  }

  private static OutageChange outage(Element e) throws PushRejectedException, Dom.DuplicateElementException {
    String mrid = required(e, "outageMRID", MAX_MRID);
    long version = positiveLong(e, "version");
    String previous = optional(e, "previousStatus", MAX_SHORT_TEXT);
    return new OutageChange(
        mrid,
        required(e, "outageType", MAX_SHORT_TEXT),
        version,
        required(e, "status", MAX_SHORT_TEXT),
        previous,
        dateTime(e, "lastModified", true),
        claimCheck(e, DEFAULT_OUTAGE_SERVICE));
  }

  private static MarketEvent marketEvent(Element e) throws PushRejectedException, Dom.DuplicateElementException {
    String tradeDate = required(e, "tradeDate", MAX_SHORT_TEXT);
    LocalDate date;
    try {
      date = LocalDate.parse(tradeDate);
    } catch (DateTimeParseException ex) {
      throw invalid("tradeDate is not an xs:date (YYYY-MM-DD): '" + Texts.clip(tradeDate) + "'");
    }
    return new MarketEvent(
        required(e, "eventId", MAX_SHORT_TEXT),
        required(e, "eventType", MAX_SHORT_TEXT),
        required(e, "market", MAX_SHORT_TEXT),
        date,
        dateTime(e, "eventTime", true),
        optional(e, "description", MAX_DESCRIPTION),
        claimCheck(e, null));
  }

  private static ClaimCheck claimCheck(Element parent, String defaultService)
      throws PushRejectedException, Dom.DuplicateElementException {
    Element cc = Dom.child(parent, NS, "claimCheck");
    if (cc == null) {
      return null;
    }
    String token = required(cc, "token", MAX_TOKEN);
    String service = optional(cc, "service", MAX_SHORT_TEXT);
    if (service == null) {
      if (defaultService == null) {
        throw invalid("claimCheck/service is missing");
      }
      service = defaultService;
    }
    if (!service.matches("[A-Za-z0-9_]+")) {
      throw invalid("claimCheck/service is not a service name: '" + Texts.clip(service) + "'");
    }
    return new ClaimCheck(token, service, dateTime(cc, "expires", false));
  }

  private static String required(Element parent, String name, int maxLength)
      throws PushRejectedException, Dom.DuplicateElementException {
    String value = optional(parent, name, maxLength);
    if (value == null) {
      throw invalid(parent.getLocalName() + "/" + name + " is missing or empty");
    }
    return value;
  }

  private static String optional(Element parent, String name, int maxLength)
      throws PushRejectedException, Dom.DuplicateElementException {
    String value = Dom.text(parent, NS, name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (value.length() > maxLength) {
      throw invalid(parent.getLocalName() + "/" + name + " is longer than " + maxLength + " characters ("
          + value.length() + ")");
    }
    return value;
  }

  private static long positiveLong(Element parent, String name)
      throws PushRejectedException, Dom.DuplicateElementException {
    String text = required(parent, name, 19);
    try {
      long v = Long.parseLong(text);
      if (v < 1) {
        throw invalid(name + " must be 1 or more, not " + v);
      }
      return v;
    } catch (NumberFormatException ex) {
      throw invalid(name + " is not a whole number: '" + Texts.clip(text) + "'");
    }
  }

  private static OffsetDateTime dateTime(Element parent, String name, boolean required)
      throws PushRejectedException, Dom.DuplicateElementException {
    String text = required ? required(parent, name, MAX_SHORT_TEXT) : optional(parent, name, MAX_SHORT_TEXT);
    if (text == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text);
    } catch (DateTimeParseException ex) {
      throw invalid(name + " is not an xs:dateTime with a time zone: '" + Texts.clip(text) + "'");
    }
  }

  private static PushRejectedException invalid(String description) {
    return new PushRejectedException(PushFault.Reason.INVALID_BODY, description);
  }
}
