package org.omspush.claimcheck.push;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * DOM parsing for messages from the network: no DTD (so no entities, internal or external),
 * no external access of any kind, bounded depth and sizes. Blocking: call off the event loop.
 */
public final class SafeXml {
  static final int MAX_ELEMENT_DEPTH = 64;

  private static final DocumentBuilderFactory FACTORY = newFactory();
  private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(SafeXml::newBuilder);

  private SafeXml() {}

  /** Parses a message; a DTD or any other well-formedness problem is a {@link PushRejectedException}. */
  public static Document parse(byte[] xml) throws PushRejectedException {
    DocumentBuilder builder = BUILDER.get();
    try {
      return builder.parse(new ByteArrayInputStream(xml));
    } catch (SAXParseException e) {
      String msg = String.valueOf(e.getMessage());
      if (msg.contains("DOCTYPE")) {
        throw new PushRejectedException(PushFault.Reason.DTD_NOT_ALLOWED,
            "A DTD (DOCTYPE) is not allowed in a push");
      }
      throw new PushRejectedException(PushFault.Reason.MALFORMED_XML,
          "The message is not well-formed XML (line " + e.getLineNumber() + ", column " + e.getColumnNumber()
              + "): " + shorten(msg), null, e);
    } catch (SAXException | IOException e) {
      throw new PushRejectedException(PushFault.Reason.MALFORMED_XML,
          "The message is not well-formed XML: " + shorten(String.valueOf(e.getMessage())), null, e);
    }
  }

  private static String shorten(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }

  private static DocumentBuilderFactory newFactory() {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setXIncludeAware(false);
    f.setExpandEntityReferences(false);
    f.setValidating(false);
    try {
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature("http://xml.org/sax/features/external-general-entities", false);
      f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("The JDK's XML parser does not support the features safe parsing needs", e);
    }
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    f.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", String.valueOf(MAX_ELEMENT_DEPTH));
    return f;
  }

  private static DocumentBuilder newBuilder() {
    try {
      DocumentBuilder b = FACTORY.newDocumentBuilder();
      b.setEntityResolver((publicId, systemId) -> {
        throw new SAXException("External entities are not allowed");
      });
      b.setErrorHandler(new ErrorHandler() {
        @Override public void warning(SAXParseException e) {}
        @Override public void error(SAXParseException e) throws SAXException { throw e; }
        @Override public void fatalError(SAXParseException e) throws SAXException { throw e; }
      });
      return b;
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException(e);
    }
  }
}
