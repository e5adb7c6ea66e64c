package org.omspush.claimcheck.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.validation.Schema;
import javax.xml.validation.Validator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

class PushServiceDescriptionTest {
  static final String WSDL = "http://schemas.xmlsoap.org/wsdl/";
  static final String WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/";
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  @TempDir static Path dir;
  static PushSigner iso;
  static PushServiceDescription description;
  static Schema schema;

  @BeforeAll
  static void setUp() throws Exception {
    iso = PushSigner.of(DevPki.generate(dir).isoPushClient());
    description = PushServiceDescription.load();
    schema = description.schema();
  }

  static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  /** Validates the signed envelope's body document and its CAISOWSHeader against the schemas. */
  static void validate(byte[] envelope) throws Exception {
    Document d = parse(envelope);
    Element body = (Element) d.getElementsByTagNameNS(Ns.SOAP11, "Body").item(0);
    Element header = (Element) d.getElementsByTagNameNS(Ns.CAISO_WS_HEADER, "CAISOWSHeader").item(0);
    Validator v = schema.newValidator();
    v.validate(new DOMSource(firstElement(body)));
    v.validate(new DOMSource(header));
  }

  static Element firstElement(Element parent) {
    for (var n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        return e;
      }
    }
    throw new AssertionError("empty " + parent.getLocalName());
  }

  static List<String> attributes(Document d, String ns, String element, String attribute) {
    NodeList list = d.getElementsByTagNameNS(ns, element);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < list.getLength(); i++) {
      values.add(((Element) list.item(i)).getAttribute(attribute));
    }
    return values;
  }

  static OutageStatusChange outage(String mrid, long version, ClaimCheck check) {
    return new OutageStatusChange(mrid, "RESOURCE", version, "APPROVED", version == 1 ? null : "RECEIVED",
        NOW.minusSeconds(30), check);
  }

  static byte[] signed(PushMessage m) {
    return iso.sign(m, PushSigner.Algorithm.RSA_SHA256);
  }

  static final ClaimCheck CHECK = new ClaimCheck("tok-1", "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP",
      NOW.plus(1, ChronoUnit.DAYS));

  @Test
  void wsdl_parses_and_names_both_soap_actions_and_the_endpoint() throws Exception {
    Document wsdl = parse(description.wsdl("https://oms.example:8443/iso/v1/push/SC_01"));
    assertThat(wsdl.getDocumentElement().getNamespaceURI()).isEqualTo(WSDL);
    assertThat(attributes(wsdl, WSDL_SOAP, "operation", "soapAction"))
        .containsExactlyInAnyOrder(OmsPushV1Mapping.OUTAGE_ACTION, OmsPushV1Mapping.MARKET_EVENT_ACTION);
    assertThat(attributes(wsdl, WSDL_SOAP, "address", "location"))
        .containsExactly("https://oms.example:8443/iso/v1/push/SC_01");
    assertThat(attributes(wsdl, WSDL, "fault", "name")).containsOnly("Failure").hasSize(4);
    assertThat(attributes(wsdl, XMLConstants.W3C_XML_SCHEMA_NS_URI, "import", "schemaLocation"))
        .containsExactlyInAnyOrderElementsOf(PushServiceDescription.SCHEMAS.stream().map(s -> "?xsd=" + s).toList());
  }

  @Test
  void the_address_is_escaped_in_the_wsdl() throws Exception {
    Document wsdl = parse(description.wsdl("https://h/push?a=1&b=\"2\""));
    assertThat(attributes(wsdl, WSDL_SOAP, "address", "location")).containsExactly("https://h/push?a=1&b=\"2\"");
  }

  @Test
  void signed_pushes_of_every_shape_validate_against_the_xsd() throws Exception {
    validate(signed(PushMessage.outageStatusChange(outage("OUT-1", 1, CHECK)).build()));
    validate(signed(PushMessage.outageStatusChange(outage("OUT-1", 7, CHECK)).build()));
    validate(signed(PushMessage.outageStatusChange(outage("X".repeat(40), 2, null)).build()));
    validate(signed(PushMessage.marketEvent(new MarketEvent("EV-1", "MARKET_CLOSED", "DAM",
        LocalDate.parse("2026-11-23"), NOW, "closed", null)).build()));
    validate(signed(PushMessage.marketEvent(new MarketEvent("EV-2", "RESULTS_PUBLISHED", "RTM",
        LocalDate.parse("2026-11-23"), NOW, null, new ClaimCheck("t", "RetrieveMarketEventByClaimCheck_OMSv1_DocAttach_AP",
            NOW.plus(1, ChronoUnit.DAYS)))).build()));
  }

  @Test
  void the_xsd_refuses_what_the_receiver_refuses() {
    assertThatThrownBy(() -> validate(signed(PushMessage.outageStatusChange(outage("X".repeat(41), 1, CHECK)).build())))
        .isInstanceOf(SAXException.class).hasMessageContaining("maxLength");
    assertThatThrownBy(() -> validate(signed(PushMessage.rawBody(OmsPushV1Mapping.OUTAGE_ACTION,
        "<OutageStatusChange xmlns=\"urn:omspush:v1\"><outageMRID>O</outageMRID><outageType>RESOURCE</outageType>"
            + "<version>0</version><status>RECEIVED</status><lastModified>2026-11-21T17:03:12Z</lastModified>"
            + "</OutageStatusChange>").build())))
        .isInstanceOf(SAXException.class).hasMessageContaining("minInclusive");
    assertThatThrownBy(() -> validate(signed(PushMessage.rawBody(OmsPushV1Mapping.OUTAGE_ACTION,
        "<OutageStatusChange xmlns=\"urn:omspush:v1\"><outageMRID>O</outageMRID><outageType>RESOURCE</outageType>"
            + "<version>1</version><status>RECEIVED</status><lastModified>2026-11-21T17:03:12</lastModified>"
            + "</OutageStatusChange>").build())))
        .as("a time without its zone").isInstanceOf(SAXException.class);
    assertThatThrownBy(() -> validate(signed(PushMessage.rawBody(OmsPushV1Mapping.MARKET_EVENT_ACTION,
        "<MarketEvent xmlns=\"urn:omspush:v1\"><eventId>E</eventId><eventType>MARKET_OPEN</eventType>"
            + "<market>DAM</market><tradeDate>2026-11-22</tradeDate><eventTime>2026-11-21T18:00:00Z</eventTime>"
            + "<claimCheck><token>t</token><service>Retrieve Market</service></claimCheck></MarketEvent>").build())))
        .as("a service name with a space").isInstanceOf(SAXException.class);
  }

  @Test
  void an_unknown_schema_name_is_not_served() {
    assertThat(description.schema("../../etc/passwd")).isEmpty();
    assertThat(description.schema("OmsPush_v1.wsdl")).isEmpty();
    assertThat(new String(description.schema("omspush-v1.xsd").orElseThrow(), StandardCharsets.UTF_8))
        .contains("targetNamespace=\"urn:omspush:v1\"");
  }
}
