package org.omspush.claimcheck.retrieve;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.omspush.claimcheck.push.Ns;
import org.omspush.claimcheck.push.PushRejectedException;
import org.omspush.claimcheck.push.PushSignature;
import org.omspush.claimcheck.push.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Reads the ISO's answer to RetrieveOutageChanges (a page of at most 500 changes, read whole):
 * the AUP page before any XML parsing, then the signed SOAP envelope and its Fault or its page.
 * Also the rules by which any answer's HTTP status and Fault become a {@link RetrieveAnswer}, for
 * {@link DocumentAnswerReader} too. Blocking CPU work: call it on a worker thread.
 */
public final class AnswerReader {
  static final String ISO_ATTACHMENT = "http://www.caiso.com/soa/2006-10-26/ISOAttachment.xsd";
  static final String ATTACHMENT_HASH = "http://www.caiso.com/mrtu/soa/schemas/2005/09/attachmenthash";
  static final String AUP_TEXT = "Acceptable Use Policy Violation";

  private final boolean requireSignature;

  public AnswerReader(boolean requireSignature) {
    this.requireSignature = requireSignature;
  }

  /** The AUP page comes from the ISO's edge, not from SOAP: known by its content type and text. */
  public static boolean isAupPage(String contentType, byte[] body) {
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("text/html")) {
      return false;
    }
    int n = Math.min(body.length, 4096);
    return new String(body, 0, n, StandardCharsets.UTF_8).contains(AUP_TEXT);
  }

  /** An answer to RetrieveOutageChanges (documents: {@link DocumentAnswerReader}). */
  public RetrieveAnswer read(int status, String contentType, byte[] body, X509Certificate isoServer) {
    if (isAupPage(contentType, body)) {
      return new RetrieveAnswer.AupPage(status);
    }
    Document doc;
    try {
      doc = SafeXml.parse(body);
    } catch (PushRejectedException e) {
      return notXml(status, e.fault().description());
    }
    try {
      return read(status, doc, isoServer);
    } catch (DuplicateElementException e) {
      return new RetrieveAnswer.Rejected("the answer has two " + e.getMessage() + " elements");
    }
  }

  private RetrieveAnswer read(int status, Document doc, X509Certificate isoServer) throws DuplicateElementException {
    Element envelope = doc.getDocumentElement();
    Element header = child(envelope, Ns.SOAP11, "Header");
    Element soapBody = child(envelope, Ns.SOAP11, "Body");
    if (!Ns.SOAP11.equals(envelope.getNamespaceURI()) || soapBody == null) {
      return notSoap(status);
    }
    Element security = header == null ? null : child(header, Ns.WSSE, "Security");
    if (security == null) {
      if (requireSignature) {
        return unsigned(status);
      }
    } else {
      try {
        PushSignature.verify(security, List.of(soapBody), isoServer, null);
      } catch (PushRejectedException e) {
        return new RetrieveAnswer.Rejected("the ISO's answer signature: " + e.fault().description());
      }
    }
    Element fault = child(soapBody, Ns.SOAP11, "Fault");
    if (fault != null) {
      return fault(status, unqualified(fault, "faultcode"), faultDescription(fault));
    }
    RetrieveAnswer noFault = withoutFault(status);
    return noFault != null ? noFault : changes(soapBody);
  }

  /** What an answer that is not XML at all means, by its HTTP status. */
  static RetrieveAnswer notXml(int status, String detail) {
    if (status == 403) {
      return new RetrieveAnswer.Forbidden("HTTP 403 without a SOAP answer");
    }
    return status >= 500 || status == 0
        ? new RetrieveAnswer.Transient("HTTP " + status + ", not a SOAP answer")
        : new RetrieveAnswer.Rejected("the answer is not XML: " + detail);
  }

  /** XML, but not a SOAP 1.1 envelope with a body. */
  static RetrieveAnswer notSoap(int status) {
    return status >= 500 ? new RetrieveAnswer.Transient("HTTP " + status + ", not a SOAP envelope")
        : new RetrieveAnswer.Rejected("the answer is not a SOAP 1.1 envelope");
  }

  /** A SOAP answer without the signature that is required. */
  static RetrieveAnswer unsigned(int status) {
    return status == 403 ? new RetrieveAnswer.Forbidden("HTTP 403 (unsigned answer)")
        : new RetrieveAnswer.Rejected("the ISO's answer is not signed");
  }

  /** A signed SOAP Fault; {@code code} is its faultcode (soap:Client or soap:Server), null if absent. */
  static RetrieveAnswer fault(int status, String code, String description) {
    return status == 403 ? new RetrieveAnswer.Forbidden(description)
        : new RetrieveAnswer.Fault(status, code, description);
  }

  /** A signed answer without a Fault: null when its status lets its content be read. */
  static RetrieveAnswer withoutFault(int status) {
    if (status == 403) {
      return new RetrieveAnswer.Forbidden("HTTP 403");
    }
    if (status < 200 || status > 299) {
      return new RetrieveAnswer.Transient("HTTP " + status + " without a SOAP Fault");
    }
    return null;
  }

  private RetrieveAnswer changes(Element soapBody) throws DuplicateElementException {
    Element page = child(soapBody, Ns.OMS_PUSH_V1, "OutageChanges");
    if (page == null) {
      return new RetrieveAnswer.Rejected("the answer holds no OutageChanges");
    }
    List<Element> changes = new ArrayList<>();
    for (Element e : children(page)) {
      if (is(e, Ns.OMS_PUSH_V1, "OutageStatusChange")) {
        changes.add(e);
      }
    }
    Element more = child(page, Ns.OMS_PUSH_V1, "more");
    Element cursor = child(page, Ns.OMS_PUSH_V1, "cursor");
    return new RetrieveAnswer.Changes(changes, more != null && Boolean.parseBoolean(more.getTextContent().strip()),
        cursor == null ? null : cursor.getTextContent().strip());
  }

  /** The text of the one unqualified child of Fault so named (faultcode, faultstring), or null; two are refused. */
  private static String unqualified(Element fault, String local) throws DuplicateElementException {
    String found = null;
    for (Element e : children(fault)) {
      if (local.equals(e.getLocalName())) {
        if (found != null) {
          throw new DuplicateElementException(local);
        }
        found = e.getTextContent().strip();
      }
    }
    return found;
  }

  private static String faultDescription(Element fault) throws DuplicateElementException {
    var descriptions = fault.getElementsByTagNameNS(Ns.STANDARD_OUTPUT, "description");
    if (descriptions.getLength() > 1) {
      throw new DuplicateElementException("description");
    }
    if (descriptions.getLength() == 1 && !descriptions.item(0).getTextContent().isBlank()) {
      return descriptions.item(0).getTextContent().strip();
    }
    String faultString = unqualified(fault, "faultstring");
    return faultString != null ? faultString : "SOAP Fault without a description";
  }

  static List<Element> children(Element parent) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        out.add(e);
      }
    }
    return out;
  }

  static boolean is(Element e, String ns, String local) {
    return ns.equals(e.getNamespaceURI()) && local.equals(e.getLocalName());
  }

  /** The one child so named, or null; two are refused, as in a push. */
  static Element child(Element parent, String ns, String local) throws DuplicateElementException {
    Element found = null;
    for (Element e : children(parent)) {
      if (is(e, ns, local)) {
        if (found != null) {
          throw new DuplicateElementException(local);
        }
        found = e;
      }
    }
    return found;
  }

  /** An element the contract allows once came twice. */
  static final class DuplicateElementException extends Exception {
    DuplicateElementException(String localName) {
      super(localName, null, false, false);
    }
  }
}
