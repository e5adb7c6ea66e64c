package org.omspush.isosim.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.time.LocalDate;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class DocumentsTest {

  static final Instant MODIFIED = Instant.parse("2026-11-21T17:03:12.345Z");

  static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 1025, 1100, 4096, 65_537, 1_000_000, 5 * 1024 * 1024})
  void outage_document_has_exactly_the_asked_size_and_its_fields_first(int size)
      throws Exception {
    OutageVersion version = new OutageVersion("OMS-<&>", "RESOURCE", 7, "APPROVED", "RECEIVED",
        MODIFIED, size);

    byte[] xml = Documents.outage(version);
    Element root = parse(xml).getDocumentElement();

    assertThat(xml).hasSize(size);
    assertThat(root.getLocalName()).isEqualTo("OutageDocument");
    assertThat(root.getNamespaceURI()).isEqualTo("urn:omspush:v1");
    assertThat(root.getElementsByTagNameNS("*", "outageMRID").item(0).getTextContent())
        .isEqualTo("OMS-<&>");
    assertThat(root.getElementsByTagNameNS("*", "version").item(0).getTextContent())
        .isEqualTo("7");
    assertThat(root.getElementsByTagNameNS("*", "lastModified").item(0).getTextContent())
        .isEqualTo("2026-11-21T17:03:12.345Z");
    assertThat(root.getElementsByTagNameNS("*", "detail").getLength()).isEqualTo(1);
  }

  @Test
  void same_version_gives_the_same_bytes_and_another_version_other_bytes() {
    OutageVersion v7 = new OutageVersion("OMS-1", "RESOURCE", 7, "APPROVED", "RECEIVED",
        MODIFIED, 8000);
    OutageVersion v8 = new OutageVersion("OMS-1", "RESOURCE", 8, "APPROVED", "RECEIVED",
        MODIFIED, 8000);

    assertThat(Documents.outage(v7)).isEqualTo(Documents.outage(v7))
        .isNotEqualTo(Documents.outage(v8));
  }

  @Test
  void market_event_document_has_its_fields_and_size() throws Exception {
    MarketEventEntry event = new MarketEventEntry("EV-1", "MARKET_CLOSED", "DAM",
        LocalDate.parse("2026-11-22"), Instant.parse("2026-11-21T18:00:00Z"), null, 3000);

    byte[] xml = Documents.marketEvent(event);
    Element root = parse(xml).getDocumentElement();

    assertThat(xml).hasSize(3000);
    assertThat(root.getLocalName()).isEqualTo("MarketEventDocument");
    assertThat(root.getElementsByTagNameNS("*", "eventTime").item(0).getTextContent())
        .isEqualTo("2026-11-21T18:00:00Z");
  }
}
