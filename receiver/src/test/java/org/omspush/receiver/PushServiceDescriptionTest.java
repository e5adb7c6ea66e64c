package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.validation.Validator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.claimcheck.push.PushServiceDescription;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.state.IsoState;
import org.omspush.store.testing.TestDatabase;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

class PushServiceDescriptionTest {
  static final String SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
  static final String WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/";

  @TempDir static Path dir;
  static DevPki pki;
  static TestReceiver receiver;
  static WebClient participantTool;

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), Map.of());
    // The participant's own SOAP tooling, with the participant's certificate: not an ISO push identity.
    participantTool = WebClient.create(receiver.vertx, new WebClientOptions()
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(pki.participantClient().certificateFile().toString())
            .setKeyPath(pki.participantClient().keyFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.serverCa().certificateFile().toString())));
  }

  @AfterAll
  static void stop() throws Exception {
    participantTool.close();
    receiver.close();
  }

  static HttpResponse<Buffer> get(String query) {
    return await(participantTool.request(HttpMethod.GET, receiver.app.pushPort(), "localhost",
        "/iso/v1/push?" + query).ssl(true).send());
  }

  static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  static List<String> attributes(Document d, String ns, String element, String attribute) {
    NodeList list = d.getElementsByTagNameNS(ns, element);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < list.getLength(); i++) {
      values.add(((Element) list.item(i)).getAttribute(attribute));
    }
    return values;
  }

  @Test
  void wsdl_is_served_on_the_push_endpoint_with_its_own_address() throws Exception {
    HttpResponse<Buffer> r = get("wsdl");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/xml");
    Document wsdl = parse(r.bodyAsBuffer().getBytes());
    assertThat(attributes(wsdl, WSDL_SOAP, "address", "location"))
        .containsExactly("https://localhost:" + receiver.app.pushPort() + "/iso/v1/push");
    assertThat(attributes(wsdl, WSDL_SOAP, "operation", "soapAction"))
        .containsExactlyInAnyOrder("receiveOutageStatusChange_v1", "receiveMarketEvent_v1");
  }

  @Test
  void every_schema_the_wsdl_imports_is_served_and_no_other() throws Exception {
    Document wsdl = parse(get("wsdl").bodyAsBuffer().getBytes());
    List<String> imports = attributes(wsdl, "http://www.w3.org/2001/XMLSchema", "import", "schemaLocation");
    assertThat(imports).hasSize(3);
    for (String location : imports) {
      HttpResponse<Buffer> xsd = get(location.substring(1));
      assertThat(xsd.statusCode()).as(location).isEqualTo(200);
      assertThat(parse(xsd.bodyAsBuffer().getBytes()).getDocumentElement().getLocalName()).isEqualTo("schema");
    }
    assertThat(get("xsd=../pom.xml").statusCode()).isEqualTo(404);
  }

  @Test
  void the_demos_pushes_validate_against_the_xsd_and_its_invalid_body_does_not() throws Exception {
    Validator validator = PushServiceDescription.load().schema().newValidator();
    int valid = 0;
    for (Demo.Step step : Demo.scenario(pki, new IsoState())) {
      Document envelope;
      try {
        envelope = parse(step.envelope());
      } catch (SAXException notXml) {
        continue; // the demo's XXE and not-XML pushes
      }
      Element body = (Element) envelope.getElementsByTagNameNS(SOAP, "Body").item(0);
      if (body == null || step.expectedStatus() == 403) {
        continue;
      }
      Element document = firstElement(body);
      if (step.expectedStatus() == 200) {
        validator.validate(new DOMSource(document));
        validator.validate(new DOMSource(envelope.getElementsByTagNameNS(
            "http://www.caiso.com/soa/2006-09-30/CAISOWSHeader.xsd", "CAISOWSHeader").item(0)));
        valid++;
      } else if (step.expectedOutcome().equals("invalid_body")) {
        assertThatThrownBy(() -> validator.validate(new DOMSource(document))).as(step.label())
            .isInstanceOf(SAXException.class);
      }
    }
    assertThat(valid).as("pushes the demo expects to be stored").isGreaterThanOrEqualTo(20);
  }

  static Element firstElement(Element parent) {
    for (var n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        return e;
      }
    }
    throw new AssertionError("empty " + parent.getLocalName());
  }
}
