package org.omspush.claimcheck.push;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.apache.xml.security.c14n.Canonicalizer;
import org.omspush.store.InboundMessage;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Turns the bytes of one push into a {@link VerifiedPush}, or refuses it with the reason the
 * contract names. Blocking CPU work (DOM, XML-DSig): run it on a worker thread.
 */
public final class PushReader {
  /** How far ahead of our clock a message's Created may be. */
  static final Duration MAX_CLOCK_AHEAD = Duration.ofMinutes(5);

  private final Map<String, PushBodyMapping> mappings = new HashMap<>();
  private final boolean requireSignature;
  private final Clock clock;

  public PushReader(List<PushBodyMapping> mappings, boolean requireSignature, Clock clock) {
    for (PushBodyMapping m : mappings) {
      for (String action : m.actions()) {
        this.mappings.put(action, m);
      }
    }
    this.requireSignature = requireSignature;
    this.clock = clock;
    PushSignature.init();
  }

  public static PushReader standard(boolean requireSignature) {
    return new PushReader(List.of(new OmsPushV1Mapping()), requireSignature, Clock.systemUTC());
  }

  /** {@code SOAPAction} as sent: quoted, as SOAP 1.1 stacks send it, or bare. */
  public static String unquote(String soapAction) {
    if (soapAction == null) {
      return "";
    }
    String a = soapAction.strip();
    if (a.length() >= 2 && a.startsWith("\"") && a.endsWith("\"")) {
      a = a.substring(1, a.length() - 1).strip();
    }
    return a;
  }

  public boolean knows(String action) {
    return mappings.containsKey(action);
  }

  /**
   * @param action    the SOAPAction, unquoted
   * @param tlsClient the certificate the TLS client presented (already chain-verified and allowed)
   */
  public VerifiedPush read(byte[] raw, String action, X509Certificate tlsClient) throws PushRejectedException {
    PushBodyMapping mapping = mappings.get(action);
    if (mapping == null) {
      throw new PushRejectedException(PushFault.Reason.UNKNOWN_ACTION, "Unknown SOAPAction '"
          + Texts.clip(action) + "'; this endpoint takes " + String.join(", ", mappings.keySet()));
    }
    Document doc = SafeXml.parse(raw);
    Element envelope = doc.getDocumentElement();
    if (!Dom.is(envelope, Ns.SOAP11, "Envelope")) {
      throw new PushRejectedException(PushFault.Reason.NOT_SOAP,
          "The message is not a SOAP 1.1 Envelope (namespace " + Ns.SOAP11 + ")");
    }
    Element header;
    Element body;
    Element caiso;
    Element security;
    try {
      header = Dom.child(envelope, Ns.SOAP11, "Header");
      body = Dom.child(envelope, Ns.SOAP11, "Body");
      if (body == null) {
        throw new PushRejectedException(PushFault.Reason.NOT_SOAP, "The SOAP Envelope has no Body");
      }
      caiso = header == null ? null : Dom.child(header, Ns.CAISO_WS_HEADER, "CAISOWSHeader");
      security = header == null ? null : Dom.child(header, Ns.WSSE, "Security");
    } catch (Dom.DuplicateElementException e) {
      throw new PushRejectedException(PushFault.Reason.NOT_SOAP, "SOAP envelope: " + e.getMessage());
    }
    if (caiso == null) {
      throw new PushRejectedException(PushFault.Reason.MISSING_HEADER,
          "The SOAP Header has no CAISOWSHeader (namespace " + Ns.CAISO_WS_HEADER + ")");
    }
    CaisoHeader h = CaisoHeader.read(caiso);
    String messageId = h.messageId();
    checkFreshness(h);

    X509Certificate identity = tlsClient;
    if (security != null) {
      identity = PushSignature.verify(doc, security, body, caiso, tlsClient, messageId);
    } else if (requireSignature) {
      throw new PushRejectedException(PushFault.Reason.SIGNATURE_MISSING,
          "The message is not signed: a wsse:Security header with a signature over soap:Body and "
              + "CAISOWSHeader is required", messageId, null);
    }
    checkUsernameNames(h, identity);

    List<Element> docs = Dom.children(body);
    if (docs.size() != 1) {
      throw new PushRejectedException(PushFault.Reason.INVALID_BODY,
          "The SOAP Body must hold exactly one element, found " + docs.size(), messageId, null);
    }
    Element document = docs.get(0);
    ParsedPush parsed;
    try {
      parsed = mapping.read(action, document);
    } catch (PushRejectedException e) {
      throw e.withMessageId(messageId);
    }
    InboundMessage message = new InboundMessage(messageId, action,
        tlsClient.getSubjectX500Principal().getName(), documentSha256(document), raw);
    return new VerifiedPush(message, h, parsed);
  }

  private void checkFreshness(CaisoHeader h) throws PushRejectedException {
    OffsetDateTime now = OffsetDateTime.now(clock);
    if (h.created().isAfter(now.plus(MAX_CLOCK_AHEAD))) {
      throw new PushRejectedException(PushFault.Reason.NOT_YET_VALID, "Timestamp/Created " + h.created()
          + " is more than 5 minutes ahead of the receiver's clock (" + now + ")", h.messageId(), null);
    }
    if (now.isAfter(h.expires())) {
      throw new PushRejectedException(PushFault.Reason.EXPIRED, "The message expired at " + h.expires()
          + " (receiver's clock " + now + "); re-sign it with a fresh Timestamp", h.messageId(), null);
    }
  }

  private static void checkUsernameNames(CaisoHeader h, X509Certificate identity) throws PushRejectedException {
    X500Principal named;
    try {
      named = new X500Principal(h.username());
    } catch (IllegalArgumentException e) {
      throw new PushRejectedException(PushFault.Reason.INVALID_HEADER, "CAISOUsernameToken/Username '"
          + Texts.clip(h.username()) + "' is not a distinguished name", h.messageId(), null);
    }
    if (!named.equals(identity.getSubjectX500Principal())) {
      throw new PushRejectedException(PushFault.Reason.SIGNER_MISMATCH, "CAISOUsernameToken/Username '"
          + Texts.clip(h.username()) + "' does not name the certificate " + identity.getSubjectX500Principal()
              .getName(), h.messageId(), null);
    }
  }

  /** Retries are re-signed with a fresh header, so duplicates are compared on the canonical body document. */
  private static String documentSha256(Element document) throws PushRejectedException {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Canonicalizer.getInstance(Canonicalizer.ALGO_ID_C14N_EXCL_OMIT_COMMENTS).canonicalizeSubtree(document, out);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.toByteArray()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new PushRejectedException(PushFault.Reason.INVALID_BODY,
          "The body document could not be canonicalized", null, e);
    }
  }
}
