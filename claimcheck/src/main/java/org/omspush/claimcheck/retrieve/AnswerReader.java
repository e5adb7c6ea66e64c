package org.omspush.claimcheck.retrieve;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.omspush.claimcheck.push.Ns;
import org.omspush.claimcheck.push.PushRejectedException;
import org.omspush.claimcheck.push.PushSignature;
import org.omspush.claimcheck.push.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Reads the ISO's answer to a retrieve: the AUP page before any XML parsing, then the signed
 * SOAP envelope, its Fault or its attachment (hash checked, un-gzipped with a size bound).
 * Blocking CPU work: call it on a worker thread.
 */
public final class AnswerReader {
  static final String ISO_ATTACHMENT = "http://www.caiso.com/soa/2006-10-26/ISOAttachment.xsd";
  static final String ATTACHMENT_HASH = "http://www.caiso.com/mrtu/soa/schemas/2005/09/attachmenthash";
  static final String AUP_TEXT = "Acceptable Use Policy Violation";

  private final long maxPayloadBytes;
  private final boolean requireSignature;

  public AnswerReader(long maxPayloadBytes, boolean requireSignature) {
    this.maxPayloadBytes = maxPayloadBytes;
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

  public RetrieveAnswer read(int status, String contentType, byte[] body, X509Certificate isoServer,
      boolean expectChanges) {
    if (isAupPage(contentType, body)) {
      return new RetrieveAnswer.AupPage(status);
    }
    Document doc;
    try {
      doc = SafeXml.parse(body);
    } catch (PushRejectedException e) {
      if (status == 403) {
        return new RetrieveAnswer.Forbidden("HTTP 403 without a SOAP answer");
      }
      return status >= 500 || status == 0
          ? new RetrieveAnswer.Transient("HTTP " + status + ", not a SOAP answer")
          : new RetrieveAnswer.Rejected("the answer is not XML: " + e.fault().description());
    }
    Element envelope = doc.getDocumentElement();
    Element header = child(envelope, Ns.SOAP11, "Header");
    Element soapBody = child(envelope, Ns.SOAP11, "Body");
    if (!Ns.SOAP11.equals(envelope.getNamespaceURI()) || soapBody == null) {
      return status >= 500 ? new RetrieveAnswer.Transient("HTTP " + status + ", not a SOAP envelope")
          : new RetrieveAnswer.Rejected("the answer is not a SOAP 1.1 envelope");
    }
    Element security = header == null ? null : child(header, Ns.WSSE, "Security");
    if (security == null) {
      if (requireSignature) {
        return status == 403 ? new RetrieveAnswer.Forbidden("HTTP 403 (unsigned answer)")
            : new RetrieveAnswer.Rejected("the ISO's answer is not signed");
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
      String description = faultDescription(fault);
      if (status == 403) {
        return new RetrieveAnswer.Forbidden(description);
      }
      return new RetrieveAnswer.Fault(status, faultCode(fault), description);
    }
    if (status == 403) {
      return new RetrieveAnswer.Forbidden("HTTP 403");
    }
    if (status < 200 || status > 299) {
      return new RetrieveAnswer.Transient("HTTP " + status + " without a SOAP Fault");
    }
    return expectChanges ? changes(soapBody) : attachment(header, soapBody);
  }

  private RetrieveAnswer changes(Element soapBody) {
    Element page = child(soapBody, Ns.OMS_PUSH_V1, "OutageChanges");
    if (page == null) {
      return new RetrieveAnswer.Rejected("the answer holds no OutageChanges");
    }
    List<Element> changes = new ArrayList<>();
    boolean more = false;
    String cursor = null;
    for (Element e : children(page)) {
      if (is(e, Ns.OMS_PUSH_V1, "OutageStatusChange")) {
        changes.add(e);
      } else if (is(e, Ns.OMS_PUSH_V1, "more")) {
        more = Boolean.parseBoolean(e.getTextContent().strip());
      } else if (is(e, Ns.OMS_PUSH_V1, "cursor")) {
        cursor = e.getTextContent().strip();
      }
    }
    return new RetrieveAnswer.Changes(changes, more, cursor);
  }

  private RetrieveAnswer attachment(Element header, Element soapBody) {
    Element attachment = child(soapBody, ISO_ATTACHMENT, "ISOAttachment");
    Element value = attachment == null ? null : descendant(attachment, ISO_ATTACHMENT, "AttachmentValue");
    if (value == null) {
      return new RetrieveAnswer.Rejected("the answer holds no ISOAttachment/AttachmentValue");
    }
    Element hashElement = header == null ? null : descendant(header, ATTACHMENT_HASH, "hashValue");
    if (hashElement == null) {
      return new RetrieveAnswer.Rejected("the answer has no attachmentHash/hashValue");
    }
    String base64Text = value.getTextContent();
    String expected = hashElement.getTextContent().strip();
    String actual = Base64.getEncoder().encodeToString(sha1(base64Text.getBytes(StandardCharsets.US_ASCII)));
    if (!actual.equals(expected)) {
      return new RetrieveAnswer.Rejected("attachment hash mismatch: the payload is corrupt (expected " + expected
          + ", computed " + actual + ")");
    }
    byte[] gzip;
    try {
      gzip = Base64.getMimeDecoder().decode(base64Text);
    } catch (IllegalArgumentException e) {
      return new RetrieveAnswer.Rejected("the attachment is not base64");
    }
    byte[] xml;
    try {
      xml = gunzip(gzip, maxPayloadBytes);
    } catch (IOException e) {
      return new RetrieveAnswer.Rejected("the attachment is not gzip or is larger than " + maxPayloadBytes
          + " bytes: " + e.getMessage());
    }
    Document doc;
    try {
      doc = SafeXml.parse(xml);
    } catch (PushRejectedException e) {
      return new RetrieveAnswer.Rejected("the attached document: " + e.fault().description());
    }
    return new RetrieveAnswer.Document(doc.getDocumentElement(), gzip, xml.length, sha256Hex(xml));
  }

  /** The SOAP 1.1 faultcode (unqualified child of Fault), or null. */
  private static String faultCode(Element fault) {
    for (Element e : children(fault)) {
      if ("faultcode".equals(e.getLocalName())) {
        return e.getTextContent().strip();
      }
    }
    return null;
  }

  private static String faultDescription(Element fault) {
    Element description = descendant(fault, Ns.STANDARD_OUTPUT, "description");
    if (description != null && !description.getTextContent().isBlank()) {
      return description.getTextContent().strip();
    }
    for (Element e : children(fault)) {
      if ("faultstring".equals(e.getLocalName())) {
        return e.getTextContent().strip();
      }
    }
    return "SOAP Fault without a description";
  }

  static byte[] gunzip(byte[] gzip, long max) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip), 64 * 1024)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(gzip.length * 4, 1 << 20));
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > max) {
          throw new IOException("more than " + max + " bytes uncompressed");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }

  static byte[] sha1(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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

  static Element child(Element parent, String ns, String local) {
    for (Element e : children(parent)) {
      if (is(e, ns, local)) {
        return e;
      }
    }
    return null;
  }

  static Element descendant(Element parent, String ns, String local) {
    var list = parent.getElementsByTagNameNS(ns, local);
    return list.getLength() == 0 ? null : (Element) list.item(0);
  }

  /** Text of a direct child in the push namespace, or null. */
  public static String text(Element parent, String local) {
    Element e = child(parent, Ns.OMS_PUSH_V1, local);
    return e == null ? null : e.getTextContent().strip();
  }
}
