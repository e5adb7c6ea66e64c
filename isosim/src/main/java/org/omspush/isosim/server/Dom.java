package org.omspush.isosim.server;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerConfigurationException;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * DOM for the retrieve services: a parser for requests from the network (no DTD, no external
 * access, silent on errors), a serializer, and small navigation helpers. Per-thread builders:
 * the JDK's factories are not thread-safe. Blocking CPU work: call on worker threads.
 */
final class Dom {

  static final String XMLNS_NS = XMLConstants.XMLNS_ATTRIBUTE_NS_URI;

  private static final ThreadLocal<DocumentBuilder> BUILDER =
      ThreadLocal.withInitial(Dom::newBuilder);
  private static final ThreadLocal<Transformer> SERIALIZER =
      ThreadLocal.withInitial(Dom::newSerializer);

  private Dom() {}

  /** Thrown for a request that is not well-formed XML or carries a DTD. */
  static final class NotXmlException extends Exception {
    private final boolean dtd;

    NotXmlException(String message, boolean dtd) {
      super(message);
      this.dtd = dtd;
    }

    boolean dtd() {
      return dtd;
    }
  }

  static Document newDocument() {
    Document document = BUILDER.get().newDocument();
    document.setXmlStandalone(true);
    return document;
  }

  static Document parse(byte[] xml) throws NotXmlException {
    DocumentBuilder builder = BUILDER.get();
    try {
      return builder.parse(new ByteArrayInputStream(xml));
    } catch (SAXParseException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("DOCTYPE")) {
        throw new NotXmlException("A DTD (DOCTYPE) is not allowed in a request", true);
      }
      throw new NotXmlException("The request is not well-formed XML (line " + e.getLineNumber()
          + ", column " + e.getColumnNumber() + "): " + clip(message), false);
    } catch (SAXException | IOException e) {
      throw new NotXmlException("The request is not well-formed XML: "
          + clip(String.valueOf(e.getMessage())), false);
    }
  }

  static byte[] serialize(Document document, int sizeHint) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(sizeHint, 4096));
    try {
      SERIALIZER.get().transform(new DOMSource(document), new StreamResult(out));
    } catch (TransformerException e) {
      throw new IllegalStateException("cannot serialize answer", e);
    }
    return out.toByteArray();
  }

  static Element element(Node parent, String namespace, String qualifiedName) {
    Document document = parent instanceof Document d ? d : parent.getOwnerDocument();
    Element element = document.createElementNS(namespace, qualifiedName);
    parent.appendChild(element);
    return element;
  }

  /** A child element whose own namespace is declared as the default on it. */
  static Element root(Node parent, String namespace, String localName) {
    Element element = element(parent, namespace, localName);
    element.setAttributeNS(XMLNS_NS, "xmlns", namespace);
    return element;
  }

  static Element text(Element parent, String namespace, String name, String value) {
    Element element = element(parent, namespace, name);
    element.setTextContent(value);
    return element;
  }

  static List<Element> children(Element parent) {
    List<Element> children = new ArrayList<>();
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element) {
        children.add(element);
      }
    }
    return children;
  }

  static boolean is(Element element, String namespace, String localName) {
    return localName.equals(element.getLocalName())
        && namespace.equals(element.getNamespaceURI());
  }

  /** The only child with this namespace and name, or null; two or more is an error. */
  static Element child(Element parent, String namespace, String localName) {
    Element found = null;
    for (Element child : children(parent)) {
      if (is(child, namespace, localName)) {
        if (found != null) {
          throw new IllegalArgumentException(parent.getLocalName() + " has more than one "
              + localName);
        }
        found = child;
      }
    }
    return found;
  }

  static String clip(String text) {
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

  private static DocumentBuilder newBuilder() {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setXIncludeAware(false);
    factory.setExpandEntityReferences(false);
    try {
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
      factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setEntityResolver((publicId, systemId) -> {
        throw new SAXException("external entities are not allowed");
      });
      builder.setErrorHandler(new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {}

        @Override
        public void error(SAXParseException e) throws SAXException {
          throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
          throw e;
        }
      });
      return builder;
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("no secure XML parser", e);
    }
  }

  private static Transformer newSerializer() {
    try {
      Transformer transformer = TransformerFactory.newInstance().newTransformer();
      transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
      transformer.setOutputProperty(OutputKeys.INDENT, "no");
      transformer.setOutputProperty(OutputKeys.METHOD, "xml");
      return transformer;
    } catch (TransformerConfigurationException e) {
      throw new IllegalStateException("no XML serializer", e);
    }
  }
}
