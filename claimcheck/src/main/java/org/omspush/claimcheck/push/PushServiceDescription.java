package org.omspush.claimcheck.push;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.transform.Source;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import org.xml.sax.SAXException;

/**
 * The push service's WSDL and the XSDs it imports ({@code GET {endpoint}?wsdl},
 * {@code ?xsd=NAME}). The same for every participant but for the address. Read from the jar once,
 * at start-up.
 */
public final class PushServiceDescription {
  /** The schemas, by the name the WSDL's imports use ({@code ?xsd=NAME}). */
  public static final List<String> SCHEMAS = List.of("omspush-v1.xsd", "StandardOutput.xsd", "CAISOWSHeader.xsd");

  private static final String FOLDER = "wsdl/";
  private static final String ADDRESS = "@ADDRESS@";

  private final String wsdl;
  private final Map<String, byte[]> schemas;

  private PushServiceDescription(String wsdl, Map<String, byte[]> schemas) {
    this.wsdl = wsdl;
    this.schemas = schemas;
  }

  public static PushServiceDescription load() {
    Map<String, byte[]> schemas = new LinkedHashMap<>();
    for (String name : SCHEMAS) {
      schemas.put(name, resource(name));
    }
    return new PushServiceDescription(new String(resource("OmsPush_v1.wsdl"), StandardCharsets.UTF_8), schemas);
  }

  /** The WSDL whose service address is {@code address} (the endpoint's URL). */
  public byte[] wsdl(String address) {
    return wsdl.replace(ADDRESS, StandardOutput.escape(address)).getBytes(StandardCharsets.UTF_8);
  }

  public Optional<byte[]> schema(String name) {
    return Optional.ofNullable(schemas.get(name));
  }

  /**
   * The three XSDs compiled together, as SOAP tooling loads them; no external fetches. For
   * checking a message against the contract (the tests, and tools built on this module).
   */
  public Schema schema() {
    SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
    try {
      factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      Source[] sources = schemas.entrySet().stream()
          .map(e -> new StreamSource(new ByteArrayInputStream(e.getValue()), "urn:omspush:xsd:" + e.getKey()))
          .toArray(Source[]::new);
      return factory.newSchema(sources);
    } catch (SAXException e) {
      throw new IllegalStateException("the push service's XSDs do not compile", e);
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = PushServiceDescription.class.getResourceAsStream(FOLDER + name)) {
      if (in == null) {
        throw new IllegalStateException("missing from the jar: " + FOLDER + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
