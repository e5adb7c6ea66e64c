package org.omspush.isosim.testing;

import io.vertx.core.MultiMap;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.wss4j.common.crypto.CertificateStore;
import org.apache.wss4j.common.ext.WSSecurityException;
import org.apache.wss4j.dom.WSConstants;
import org.apache.wss4j.dom.engine.WSSConfig;
import org.apache.wss4j.dom.engine.WSSecurityEngine;
import org.apache.wss4j.dom.engine.WSSecurityEngineResult;
import org.apache.wss4j.dom.handler.RequestData;
import org.apache.wss4j.dom.handler.WSHandlerResult;
import org.apache.wss4j.dom.util.SignatureUtils;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** What the stand-in ISO answered, with the reading a test needs. */
public final class Reply {

  public static final String SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
  public static final String ISO_ATTACHMENT = "http://www.caiso.com/soa/2006-10-26/ISOAttachment.xsd";
  public static final String ATTACHMENT_HASH =
      "http://www.caiso.com/mrtu/soa/schemas/2005/09/attachmenthash";
  public static final String ATTACHMENT_INFO =
      "http://www.caiso.com/soa/2006-06-13/StandardAttachmentInfor.xsd";
  public static final String STANDARD_OUTPUT =
      "http://www.caiso.com/soa/2006-06-13/StandardOutput.xsd";
  public static final String NS = "urn:omspush:v1";

  private final int status;
  private final MultiMap headers;
  private final String body;
  private final Duration latency;
  private Document document;
  private byte[] attachedDocument;

  public Reply(int status, MultiMap headers, String body, Duration latency) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.latency = latency;
  }

  public int status() {
    return status;
  }

  public MultiMap headers() {
    return headers;
  }

  public String body() {
    return body;
  }

  /** From sending the request to having the whole answer. */
  public Duration latency() {
    return latency;
  }

  public String contentType() {
    return headers.get("Content-Type");
  }

  /** The answer parsed (once; do not change it). */
  public synchronized Document document() {
    if (document == null) {
      document = parse();
    }
    return document;
  }

  private Document parse() {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return factory.newDocumentBuilder()
          .parse(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new AssertionError("the answer is not XML: " + body, e);
    }
  }

  /** The text of the only element with this namespace and local name. */
  public String text(String namespace, String localName) {
    NodeList nodes = document().getElementsByTagNameNS(namespace, localName);
    if (nodes.getLength() != 1) {
      throw new AssertionError(nodes.getLength() + " elements " + localName + " in " + body);
    }
    return nodes.item(0).getTextContent();
  }

  public String attachmentValue() {
    return text(ISO_ATTACHMENT, "AttachmentValue");
  }

  public String hashValue() {
    return text(ATTACHMENT_HASH, "hashValue");
  }

  /** base64(SHA-1 of the AttachmentValue text as sent). */
  public String computedHash() {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest(attachmentValue().getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The document: gunzip(base64-decode(AttachmentValue)). */
  public synchronized byte[] attachedDocument() {
    if (attachedDocument == null) {
      attachedDocument = gunzip();
    }
    return attachedDocument;
  }

  private byte[] gunzip() {
    try (GZIPInputStream in = new GZIPInputStream(
        new ByteArrayInputStream(Base64.getDecoder().decode(attachmentValue())))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A field of the attached document. */
  public String documentField(String localName) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      Document document = factory.newDocumentBuilder()
          .parse(new ByteArrayInputStream(attachedDocument()));
      return document.getElementsByTagNameNS(NS, localName).item(0).getTextContent();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  public String faultCode() {
    return text("", "faultcode");
  }

  /** The Event of the StandardOutput (in a Fault's detail). */
  public String eventResult() {
    return text(STANDARD_OUTPUT, "result");
  }

  public String eventDescription() {
    return text(STANDARD_OUTPUT, "description");
  }

  /** The OutageStatusChange elements of an OutageChanges answer. */
  public List<Element> changes() {
    NodeList nodes = document().getElementsByTagNameNS(NS, "OutageStatusChange");
    List<Element> changes = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      changes.add((Element) nodes.item(i));
    }
    return changes;
  }

  public static String field(Element parent, String localName) {
    NodeList nodes = parent.getElementsByTagNameNS(NS, localName);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent();
  }

  /** Names of the children of the element, in order. */
  public static List<String> childNames(Element parent) {
    List<String> names = new ArrayList<>();
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element) {
        names.add(element.getLocalName());
      }
    }
    return names;
  }

  /**
   * Verifies the answer's WS-Security signature with WSS4J against the CA bundle; returns the
   * signing certificate after checking that the signature covers soap:Body.
   */
  public X509Certificate verifiedSigner(List<X509Certificate> caBundle) {
    try {
      Document document = parse();
      WSSConfig config = WSSConfig.getNewInstance();
      config.setProcessor(WSConstants.SAML_TOKEN, (Class<?>) null);
      config.setProcessor(WSConstants.SAML2_TOKEN, (Class<?>) null);
      WSSecurityEngine engine = new WSSecurityEngine();
      engine.setWssConfig(config);
      RequestData data = new RequestData();
      data.setWssConfig(config);
      data.setSigVerCrypto(new CertificateStore(caBundle.toArray(X509Certificate[]::new)));
      WSHandlerResult result = engine.processSecurityHeader(document, data);
      if (result == null) {
        throw new AssertionError("the answer is not signed: " + body);
      }
      List<WSSecurityEngineResult> signatures = result.getActionResults().get(WSConstants.SIGN);
      if (signatures == null || signatures.size() != 1) {
        throw new AssertionError("expected one signature in " + body);
      }
      Element soapBody = (Element) document.getElementsByTagNameNS(SOAP, "Body").item(0);
      SignatureUtils.verifySignedElement(soapBody, result.getResults());
      return (X509Certificate) signatures.get(0).get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
    } catch (WSSecurityException e) {
      throw new AssertionError("the answer's signature does not verify: " + e.getMessage(), e);
    }
  }
}
