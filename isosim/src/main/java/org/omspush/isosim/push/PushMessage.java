package org.omspush.isosim.push;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * One push as the ISO sends it: a SOAP 1.1 envelope whose header holds {@code CAISOWSHeader} and
 * whose body holds an {@code urn:omspush:v1} document. Immutable; {@link PushSigner} turns it
 * into bytes. Header values left unset are filled in at signing: Username = the signer's subject
 * DN (RFC 2253), a random Nonce, Created = now, Expires = Created + 15 minutes. The MessageID is
 * fixed when the message is built, so signing the same message again is a retry: fresh
 * Created and Nonce, same MessageID.
 */
public final class PushMessage {

  public static final String SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/";
  public static final String CAISO_WS_HEADER_NS =
      "http://www.caiso.com/soa/2006-09-30/CAISOWSHeader.xsd";
  public static final String BODY_NS = "urn:omspush:v1";
  public static final String OUTAGE_STATUS_CHANGE_ACTION = "receiveOutageStatusChange_v1";
  public static final String MARKET_EVENT_ACTION = "receiveMarketEvent_v1";
  public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(15);

  private static final DateTimeFormatter HEADER_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** "&lt;!--" and "--&gt;" around comment padding. */
  private static final int COMMENT_MARKUP = 7;

  private final OutageStatusChange outageStatusChange;
  private final MarketEvent marketEvent;
  private final String rawBodyXml;
  private final String soapAction;
  private final String messageId;
  private final String username;
  private final String nonce;
  private final Instant created;
  private final Instant expires;
  private final boolean caisoHeader;
  private final int targetSize;

  private PushMessage(Builder builder) {
    this.outageStatusChange = builder.outageStatusChange;
    this.marketEvent = builder.marketEvent;
    this.rawBodyXml = builder.rawBodyXml;
    this.soapAction = builder.soapAction;
    this.messageId = builder.messageId != null ? builder.messageId : newMessageId();
    this.username = builder.username;
    this.nonce = builder.nonce;
    this.created = builder.created;
    this.expires = builder.expires;
    this.caisoHeader = builder.caisoHeader;
    this.targetSize = builder.targetSize;
  }

  /** A {@code receiveOutageStatusChange_v1} push of the change. */
  public static Builder outageStatusChange(OutageStatusChange change) {
    Builder builder = new Builder(OUTAGE_STATUS_CHANGE_ACTION);
    builder.outageStatusChange = Objects.requireNonNull(change, "change");
    return builder;
  }

  /** A {@code receiveMarketEvent_v1} push of the event. */
  public static Builder marketEvent(MarketEvent event) {
    Builder builder = new Builder(MARKET_EVENT_ACTION);
    builder.marketEvent = Objects.requireNonNull(event, "event");
    return builder;
  }

  /**
   * A push whose {@code soap:Body} content is the given XML text, as is (zero or more
   * well-formed elements, no DTD): for bodies the receiver must refuse.
   */
  public static Builder rawBody(String soapAction, String bodyXml) {
    Builder builder = new Builder(soapAction);
    builder.rawBodyXml = Objects.requireNonNull(bodyXml, "bodyXml");
    Xml.parse(wrap(bodyXml)); // fail now, not at signing
    return builder;
  }

  /** A fresh MessageID. */
  public static String newMessageId() {
    return "isosim-" + UUID.randomUUID();
  }

  /** How the header writes a time: {@code 2026-11-21T17:03:12.345Z}. */
  public static String formatHeaderTime(Instant instant) {
    return HEADER_TIME.format(instant);
  }

  /** The SOAPAction this push is sent with (unquoted). */
  public String soapAction() {
    return soapAction;
  }

  public String messageId() {
    return messageId;
  }

  /** The Username, or null when the signer's subject DN is used. */
  public String username() {
    return username;
  }

  /** The Nonce, or null when a random one is made at signing. */
  public String nonce() {
    return nonce;
  }

  /** The Created time, or null when "now" at signing is used. */
  public Instant created() {
    return created;
  }

  /** The Expires time, or null for Created + 15 minutes. */
  public Instant expires() {
    return expires;
  }

  public boolean hasCaisoHeader() {
    return caisoHeader;
  }

  /** The envelope size asked for with {@link Builder#padTo}, or 0. */
  public int targetSize() {
    return targetSize;
  }

  /** The outage status change in the body, or null. */
  public OutageStatusChange outageStatusChange() {
    return outageStatusChange;
  }

  /** The market event in the body, or null. */
  public MarketEvent marketEvent() {
    return marketEvent;
  }

  /** The raw body XML, or null. */
  public String rawBodyXml() {
    return rawBodyXml;
  }

  /** A copy whose unset header values are filled in, as a signer at this moment would. */
  PushMessage stamped(String defaultUsername) {
    Builder builder = toBuilder();
    if (builder.username == null) {
      builder.username = defaultUsername;
    }
    if (builder.nonce == null) {
      byte[] bytes = new byte[16];
      RANDOM.nextBytes(bytes);
      builder.nonce = Base64.getEncoder().encodeToString(bytes);
    }
    if (builder.created == null) {
      builder.created = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }
    if (builder.expires == null) {
      builder.expires = builder.created.plus(DEFAULT_LIFETIME);
    }
    return new PushMessage(builder);
  }

  /** The same message built again, for variations. */
  public Builder toBuilder() {
    Builder builder = new Builder(soapAction);
    builder.outageStatusChange = outageStatusChange;
    builder.marketEvent = marketEvent;
    builder.rawBodyXml = rawBodyXml;
    builder.messageId = messageId;
    builder.username = username;
    builder.nonce = nonce;
    builder.created = created;
    builder.expires = expires;
    builder.caisoHeader = caisoHeader;
    builder.targetSize = targetSize;
    return builder;
  }

  /**
   * The envelope as a DOM, with {@code paddingChars} ASCII characters of padding (0 for none).
   * Padding goes into a market event's {@code description}, otherwise into a comment at the end
   * of the body document (exclusive C14N without comments leaves it out of the digest).
   * Call on a {@link #stamped} message.
   */
  Document toDocument(int paddingChars) {
    Document document = Xml.newDocument();
    Element envelope = document.createElementNS(SOAP_NS, "soap:Envelope");
    envelope.setAttributeNS(Xml.XMLNS_NS, "xmlns:soap", SOAP_NS);
    document.appendChild(envelope);
    if (caisoHeader) {
      Element header = child(envelope, SOAP_NS, "soap:Header");
      appendCaisoWsHeader(header);
    }
    Element body = child(envelope, SOAP_NS, "soap:Body");
    if (outageStatusChange != null) {
      Element root = appendOutageStatusChange(body, outageStatusChange);
      padWithComment(root, paddingChars);
    } else if (marketEvent != null) {
      appendMarketEvent(body, marketEvent, paddingChars);
    } else {
      Element wrapper = Xml.parse(wrap(rawBodyXml)).getDocumentElement();
      for (Node node = wrapper.getFirstChild(); node != null; node = node.getNextSibling()) {
        body.appendChild(document.importNode(node, true));
      }
      Element first = firstElement(body);
      padWithComment(first != null ? first : body, paddingChars);
    }
    return document;
  }

  /** The smallest padding that {@link #toDocument} can add (a comment needs its markup). */
  int minimumPadding() {
    return marketEvent != null ? 1 : COMMENT_MARKUP + 1;
  }

  private void appendCaisoWsHeader(Element header) {
    Element caiso = header.getOwnerDocument().createElementNS(CAISO_WS_HEADER_NS, "CAISOWSHeader");
    caiso.setAttributeNS(Xml.XMLNS_NS, "xmlns", CAISO_WS_HEADER_NS);
    header.appendChild(caiso);
    Element token = child(caiso, CAISO_WS_HEADER_NS, "CAISOUsernameToken");
    text(token, CAISO_WS_HEADER_NS, "Username", username);
    text(token, CAISO_WS_HEADER_NS, "Nonce", nonce);
    text(token, CAISO_WS_HEADER_NS, "Created", formatHeaderTime(created));
    Element info = child(caiso, CAISO_WS_HEADER_NS, "CAISOMessageInfo");
    text(info, CAISO_WS_HEADER_NS, "MessageID", messageId);
    Element timestamp = child(info, CAISO_WS_HEADER_NS, "Timestamp");
    text(timestamp, CAISO_WS_HEADER_NS, "Created", formatHeaderTime(created));
    text(timestamp, CAISO_WS_HEADER_NS, "Expires", formatHeaderTime(expires));
  }

  private static Element appendOutageStatusChange(Element body, OutageStatusChange change) {
    Element root = bodyRoot(body, "OutageStatusChange");
    text(root, BODY_NS, "outageMRID", change.outageMRID());
    text(root, BODY_NS, "outageType", change.outageType());
    text(root, BODY_NS, "version", Long.toString(change.version()));
    text(root, BODY_NS, "status", change.status());
    if (change.version() != 1 && change.previousStatus() != null) {
      text(root, BODY_NS, "previousStatus", change.previousStatus());
    }
    text(root, BODY_NS, "lastModified", change.lastModified().toString());
    appendClaimCheck(root, change.claimCheck());
    return root;
  }

  private static void appendMarketEvent(Element body, MarketEvent event, int paddingChars) {
    Element root = bodyRoot(body, "MarketEvent");
    text(root, BODY_NS, "eventId", event.eventId());
    text(root, BODY_NS, "eventType", event.eventType());
    text(root, BODY_NS, "market", event.market());
    text(root, BODY_NS, "tradeDate", event.tradeDate().toString());
    text(root, BODY_NS, "eventTime", event.eventTime().toString());
    if (event.description() != null || paddingChars > 0) {
      String description = event.description() == null ? "" : event.description();
      text(root, BODY_NS, "description", description + "x".repeat(paddingChars));
    }
    appendClaimCheck(root, event.claimCheck());
  }

  private static void appendClaimCheck(Element parent, ClaimCheck check) {
    if (check == null) {
      return;
    }
    Element element = child(parent, BODY_NS, "claimCheck");
    text(element, BODY_NS, "token", check.token());
    text(element, BODY_NS, "service", check.service());
    text(element, BODY_NS, "expires", check.expires().toString());
  }

  private static void padWithComment(Element parent, int paddingChars) {
    if (paddingChars <= 0) {
      return;
    }
    if (paddingChars < COMMENT_MARKUP + 1) {
      throw new IllegalArgumentException("comment padding needs at least 8 characters");
    }
    Document document = parent.getOwnerDocument();
    parent.appendChild(document.createComment("x".repeat(paddingChars - COMMENT_MARKUP)));
  }

  private static Element bodyRoot(Element body, String name) {
    Element root = body.getOwnerDocument().createElementNS(BODY_NS, name);
    root.setAttributeNS(Xml.XMLNS_NS, "xmlns", BODY_NS);
    body.appendChild(root);
    return root;
  }

  private static Element child(Element parent, String namespace, String qualifiedName) {
    Element element = parent.getOwnerDocument().createElementNS(namespace, qualifiedName);
    parent.appendChild(element);
    return element;
  }

  private static void text(Element parent, String namespace, String name, String value) {
    child(parent, namespace, name).setTextContent(value);
  }

  private static Element firstElement(Element parent) {
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element) {
        return element;
      }
    }
    return null;
  }

  private static String wrap(String bodyXml) {
    return "<wrapper>" + bodyXml + "</wrapper>";
  }

  @Override
  public String toString() {
    return "PushMessage[" + soapAction + ", " + messageId + "]";
  }

  /** Builds a {@link PushMessage}; every setter is optional. */
  public static final class Builder {
    private OutageStatusChange outageStatusChange;
    private MarketEvent marketEvent;
    private String rawBodyXml;
    private String soapAction;
    private String messageId;
    private String username;
    private String nonce;
    private Instant created;
    private Instant expires;
    private boolean caisoHeader = true;
    private int targetSize;

    private Builder(String soapAction) {
      this.soapAction = Objects.requireNonNull(soapAction, "soapAction");
    }

    /** Another SOAPAction than the body's own (for example an unknown one). */
    public Builder soapAction(String action) {
      this.soapAction = Objects.requireNonNull(action, "soapAction");
      return this;
    }

    /** The MessageID (a fresh one otherwise). */
    public Builder messageId(String id) {
      this.messageId = Objects.requireNonNull(id, "messageId");
      return this;
    }

    /** The Username (the signer's subject DN otherwise). */
    public Builder username(String name) {
      this.username = name;
      return this;
    }

    /** The Nonce (random otherwise). */
    public Builder nonce(String value) {
      this.nonce = value;
      return this;
    }

    /** Created, in the username token and the timestamp (the signing time otherwise). */
    public Builder created(Instant time) {
      this.created = time;
      return this;
    }

    /** Expires (Created + 15 minutes otherwise). */
    public Builder expires(Instant time) {
      this.expires = time;
      return this;
    }

    /** Leaves {@code CAISOWSHeader} out of the envelope (and out of the signature). */
    public Builder withoutCaisoHeader() {
      this.caisoHeader = false;
      return this;
    }

    /**
     * Pads the message so that the envelope the signer writes is exactly {@code bytes} long
     * (with ASCII padding in a market event's description, otherwise in a comment inside the
     * body document). Fails at signing if the message is already larger.
     */
    public Builder padTo(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("size must not be negative");
      }
      this.targetSize = bytes;
      return this;
    }

    public PushMessage build() {
      return new PushMessage(this);
    }
  }
}
