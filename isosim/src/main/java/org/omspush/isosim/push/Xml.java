package org.omspush.isosim.push;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
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
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/** Per-thread DOM builders and serializers: the JDK's factories are not thread-safe. */
final class Xml {

  static final String XMLNS_NS = XMLConstants.XMLNS_ATTRIBUTE_NS_URI;

  private static final ThreadLocal<DocumentBuilder> BUILDER =
      ThreadLocal.withInitial(Xml::newDocumentBuilder);
  private static final ThreadLocal<Transformer> SERIALIZER =
      ThreadLocal.withInitial(Xml::newSerializer);

  private Xml() {}

  static Document newDocument() {
    Document document = BUILDER.get().newDocument();
    document.setXmlStandalone(true);
    return document;
  }

  /** Parses well-formed XML text that has no DTD. */
  static Document parse(String xml) {
    DocumentBuilder builder = BUILDER.get();
    try {
      return builder.parse(new InputSource(new StringReader(xml)));
    } catch (SAXException | IOException e) {
      throw new IllegalArgumentException("not well-formed XML: " + e.getMessage(), e);
    } finally {
      builder.reset();
    }
  }

  /** The document as UTF-8 bytes with an XML declaration, exactly as the DOM holds it. */
  static byte[] serialize(Document document, int sizeHint) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(sizeHint, 4096));
    Transformer serializer = SERIALIZER.get();
    try {
      serializer.transform(new DOMSource(document), new StreamResult(out));
    } catch (TransformerException e) {
      throw new IllegalStateException("cannot serialize envelope", e);
    }
    return out.toByteArray();
  }

  private static DocumentBuilder newDocumentBuilder() {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setExpandEntityReferences(false);
    factory.setXIncludeAware(false);
    try {
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return factory.newDocumentBuilder();
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
