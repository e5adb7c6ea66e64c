package org.omspush.claimcheck.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class StandardOutputTest {
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  private static String xpath(Document doc, String expr) throws Exception {
    XPath x = XPathFactory.newInstance().newXPath();
    return x.evaluate(expr, doc);
  }

  @Test
  void success_carries_event_result_success_in_the_standard_output_namespace() throws Exception {
    Document doc = SafeXml.parse(StandardOutput.success("outage X stored", NOW));
    assertThat(xpath(doc, "/*[local-name()='Envelope']/*[local-name()='Body']/*[local-name()='outputDataType']"
        + "/*[local-name()='EventLog']/*[local-name()='Event']/*[local-name()='result']")).isEqualTo("Success");
    assertThat(doc.getElementsByTagNameNS(Ns.STANDARD_OUTPUT, "creationTime").item(0).getTextContent())
        .isEqualTo("2026-11-22T10:00:00Z");
    assertThat(doc.getElementsByTagNameNS(Ns.STANDARD_OUTPUT, "description").item(0).getTextContent())
        .isEqualTo("outage X stored");
  }

  @Test
  void client_fault_has_soap_client_code_and_failure_detail() throws Exception {
    PushFault fault = PushFault.of(PushFault.Reason.SIGNATURE_INVALID, "bad <sig> & more");
    Document doc = SafeXml.parse(StandardOutput.fault(fault, NOW));
    assertThat(doc.getElementsByTagName("faultcode").item(0).getTextContent()).isEqualTo("soap:Client");
    assertThat(doc.getElementsByTagName("faultstring").item(0).getTextContent())
        .isEqualTo("signature_invalid: bad <sig> & more");
    assertThat(doc.getElementsByTagNameNS(Ns.STANDARD_OUTPUT, "result").item(0).getTextContent())
        .isEqualTo("Failure");
    assertThat(doc.getElementsByTagNameNS(Ns.STANDARD_OUTPUT, "description").item(0).getTextContent())
        .isEqualTo("bad <sig> & more");
  }

  @Test
  void storage_fault_is_the_servers_and_maps_to_503() throws Exception {
    PushFault fault = PushFault.of(PushFault.Reason.STORAGE_UNAVAILABLE, "db down");
    Document doc = SafeXml.parse(StandardOutput.fault(fault, NOW));
    assertThat(doc.getElementsByTagName("faultcode").item(0).getTextContent()).isEqualTo("soap:Server");
    assertThat(fault.reason().httpStatus()).isEqualTo(503);
  }

  @Test
  void control_characters_from_the_sender_do_not_break_the_answer() throws Exception {
    PushFault fault = PushFault.of(PushFault.Reason.INVALID_BODY, "value \u0001\u0007 here");
    Document doc = SafeXml.parse(StandardOutput.fault(fault, NOW));
    assertThat(doc.getElementsByTagNameNS(Ns.STANDARD_OUTPUT, "description").item(0).getTextContent())
        .isEqualTo("value ?? here");
  }
}
