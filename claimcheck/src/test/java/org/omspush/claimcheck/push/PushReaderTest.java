package org.omspush.claimcheck.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.store.OutageChange;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class PushReaderTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String OUTAGE = OmsPushV1Mapping.OUTAGE_ACTION;

  @TempDir static Path dir;
  static DevPki pki;
  static PushSigner iso;
  static PushReader reader;

  @BeforeAll
  static void setUp() {
    pki = DevPki.generate(dir);
    iso = PushSigner.of(pki.isoPushClient());
    reader = new PushReader(List.of(new OmsPushV1Mapping()), true, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private static PushMessage.Builder outage(String mrid, long version) {
    return PushMessage.outageStatusChange(new OutageStatusChange(mrid, "TRANSMISSION", version, "APPROVED",
        version == 1 ? null : "RECEIVED", NOW.minusSeconds(30),
        new ClaimCheck("tok-1", "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP", NOW.plus(1, ChronoUnit.DAYS))))
        .created(NOW);
  }

  private static PushFault.Reason refusal(byte[] xml) {
    return refusal(xml, OUTAGE);
  }

  private static PushFault.Reason refusal(byte[] xml, String action) {
    PushRejectedException e = catchThrowableOfType(PushRejectedException.class,
        () -> reader.read(xml, action, pki.isoPushClient().certificate()));
    assertThat(e).as("refused").isNotNull();
    return e.fault().reason();
  }

  private static byte[] replace(byte[] xml, String from, String to) {
    String s = new String(xml, StandardCharsets.UTF_8);
    assertThat(s).contains(from);
    return s.replace(from, to).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void signed_outage_change_is_read_with_every_field() throws Exception {
    PushMessage m = outage("OUT-1", 7).build();
    VerifiedPush p = reader.read(iso.sign(m, Algorithm.RSA_SHA256), OUTAGE, pki.isoPushClient().certificate());
    assertThat(p.message().messageId()).isEqualTo(m.messageId());
    assertThat(p.message().clientDn()).isEqualTo(pki.isoPushClient().subject().getName());
    OutageChange c = ((ParsedPush.Outage) p.body()).change();
    assertThat(c.outageMRID()).isEqualTo("OUT-1");
    assertThat(c.outageType()).isEqualTo("TRANSMISSION");
    assertThat(c.version()).isEqualTo(7);
    assertThat(c.status()).isEqualTo("APPROVED");
    assertThat(c.previousStatus()).isEqualTo("RECEIVED");
    assertThat(c.lastModified().toInstant()).isEqualTo(NOW.minusSeconds(30));
    assertThat(c.claimCheck().token()).isEqualTo("tok-1");
    assertThat(c.claimCheck().service()).isEqualTo("RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP");
  }

  @Test
  void market_event_is_read_with_every_field() throws Exception {
    PushMessage m = PushMessage.marketEvent(new MarketEvent("EV-9", "MARKET_CLOSED", "DAM",
        LocalDate.parse("2026-11-23"), NOW, "closed", null)).created(NOW).build();
    VerifiedPush p = reader.read(iso.sign(m, Algorithm.RSA_SHA1), m.soapAction(), pki.isoPushClient().certificate());
    var e = ((ParsedPush.Market) p.body()).event();
    assertThat(e.eventId()).isEqualTo("EV-9");
    assertThat(e.tradeDate()).isEqualTo(LocalDate.parse("2026-11-23"));
    assertThat(e.description()).isEqualTo("closed");
    assertThat(e.claimCheck()).isNull();
  }

  @Test
  void retry_re_signed_has_the_same_document_hash_and_another_body_does_not() throws Exception {
    PushMessage m = outage("OUT-2", 1).build();
    var first = reader.read(iso.sign(m, Algorithm.RSA_SHA256), OUTAGE, pki.isoPushClient().certificate());
    var retry = reader.read(iso.sign(m.toBuilder().created(NOW.plusSeconds(5)).build(), Algorithm.RSA_SHA256), OUTAGE,
        pki.isoPushClient().certificate());
    var other = reader.read(iso.sign(outage("OUT-2", 2).messageId(m.messageId()).build(), Algorithm.RSA_SHA256),
        OUTAGE, pki.isoPushClient().certificate());
    assertThat(retry.message().documentSha256()).isEqualTo(first.message().documentSha256());
    assertThat(other.message().documentSha256()).isNotEqualTo(first.message().documentSha256());
  }

  @Test
  void created_exactly_5_minutes_ahead_is_accepted_and_a_second_more_is_not() throws Exception {
    Instant ahead = NOW.plus(5, ChronoUnit.MINUTES);
    reader.read(iso.sign(outage("OUT-3", 1).created(ahead).build(), Algorithm.RSA_SHA256), OUTAGE,
        pki.isoPushClient().certificate());
    assertThat(refusal(iso.sign(outage("OUT-3", 1).created(ahead.plusSeconds(1)).build(), Algorithm.RSA_SHA256)))
        .isEqualTo(PushFault.Reason.NOT_YET_VALID);
  }

  @Test
  void message_past_expires_is_refused() {
    Instant created = NOW.minus(16, ChronoUnit.MINUTES);
    assertThat(refusal(iso.sign(outage("OUT-4", 1).created(created).build(), Algorithm.RSA_SHA256)))
        .isEqualTo(PushFault.Reason.EXPIRED);
  }

  @Test
  void saml_assertion_in_the_security_header_is_refused_not_a_crash() {
    byte[] signed = iso.sign(outage("OUT-5", 1).build(), Algorithm.RSA_SHA256);
    byte[] withSaml = replace(signed, "<wsse:BinarySecurityToken",
        "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"a1\" Version=\"2.0\"/>"
            + "<wsse:BinarySecurityToken");
    assertThat(refusal(withSaml)).isEqualTo(PushFault.Reason.SIGNATURE_INVALID);
  }

  @Test
  void body_swapped_for_another_after_signing_is_refused() {
    // A wrapping attempt: the signed body's content is replaced while the wsu:Id stays.
    byte[] signed = iso.sign(outage("OUT-6", 1).build(), Algorithm.RSA_SHA256);
    assertThat(refusal(replace(signed, "<outageMRID>OUT-6</outageMRID>", "<outageMRID>OUT-X</outageMRID>")))
        .isEqualTo(PushFault.Reason.SIGNATURE_INVALID);
  }

  /**
   * Signature wrapping: the signed soap:Body is moved, untouched, into a wrapper in soap:Header
   * (where its wsu:Id still resolves and its digest still matches), and a new Body takes its
   * place, with or without the old wsu:Id.
   */
  private static byte[] wrapSignedBodyAndInsertNew(byte[] signed, boolean newBodyKeepsTheId) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(signed));
    Element envelope = doc.getDocumentElement();
    Element header = (Element) doc.getElementsByTagNameNS(PushMessage.SOAP_NS, "Header").item(0);
    Element signedBody = (Element) doc.getElementsByTagNameNS(PushMessage.SOAP_NS, "Body").item(0);
    Element forged = (Element) signedBody.cloneNode(true);
    if (!newBodyKeepsTheId) {
      forged.removeAttributeNS(WSU, "Id");
    }
    Element mrid = (Element) forged.getElementsByTagNameNS("*", "outageMRID").item(0);
    mrid.setTextContent("OUT-FORGED");
    Element wrapper = doc.createElementNS("urn:example:wrapper", "w:Wrapper");
    envelope.removeChild(signedBody);
    wrapper.appendChild(signedBody);
    header.appendChild(wrapper);
    envelope.appendChild(forged);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(out));
    return out.toByteArray();
  }

  private static final String WSU =
      "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

  @Test
  void signed_body_moved_into_the_header_and_replaced_by_a_new_one_is_refused() throws Exception {
    byte[] signed = iso.sign(outage("OUT-12", 1).build(), Algorithm.RSA_SHA256);
    assertThat(new String(wrapSignedBodyAndInsertNew(signed, false), StandardCharsets.UTF_8))
        .contains("OUT-FORGED").contains("w:Wrapper");
    assertThat(refusal(wrapSignedBodyAndInsertNew(signed, false))).isEqualTo(PushFault.Reason.SIGNATURE_INVALID);
  }

  @Test
  void signed_body_moved_and_replaced_by_a_new_one_with_the_same_wsu_id_is_refused() throws Exception {
    byte[] signed = iso.sign(outage("OUT-13", 1).build(), Algorithm.RSA_SHA256);
    assertThat(refusal(wrapSignedBodyAndInsertNew(signed, true))).isEqualTo(PushFault.Reason.SIGNATURE_INVALID);
  }

  @Test
  void push_signed_by_another_certificate_that_the_username_names_is_refused_as_not_the_tls_clients() {
    // Username and signer agree: only the check that the signer is the TLS client refuses it.
    PushMessage m = outage("OUT-14", 1).username(pki.otherParticipantClient().subject().getName()).build();
    byte[] byOther = PushSigner.of(pki.otherParticipantClient()).sign(m, Algorithm.RSA_SHA256);
    PushRejectedException e = catchThrowableOfType(PushRejectedException.class,
        () -> reader.read(byOther, OUTAGE, pki.isoPushClient().certificate()));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.fault().reason()).isEqualTo(PushFault.Reason.SIGNER_MISMATCH);
    assertThat(e.fault().description()).contains("not by the certificate of the TLS peer");
  }

  @Test
  void signature_by_a_certificate_other_than_the_tls_clients_is_refused() {
    PushMessage m = outage("OUT-7", 1).username(pki.isoPushClient().subject().getName()).build();
    byte[] byOther = PushSigner.of(pki.otherParticipantClient()).sign(m, Algorithm.RSA_SHA256);
    assertThat(refusal(byOther)).isEqualTo(PushFault.Reason.SIGNER_MISMATCH);
  }

  @Test
  void unsigned_push_passes_only_when_signatures_are_not_required() throws Exception {
    byte[] unsigned = iso.unsigned(outage("OUT-8", 1).build());
    assertThat(refusal(unsigned)).isEqualTo(PushFault.Reason.SIGNATURE_MISSING);
    PushReader lenient = new PushReader(List.of(new OmsPushV1Mapping()), false, Clock.fixed(NOW, ZoneOffset.UTC));
    assertThat(lenient.read(unsigned, OUTAGE, pki.isoPushClient().certificate()).message().messageId()).isNotBlank();
  }

  @Test
  void missing_message_id_is_an_invalid_header() {
    byte[] signed = iso.unsigned(outage("OUT-9", 1).messageId("ID-TO-DROP").build());
    assertThat(refusal(replace(signed, "ID-TO-DROP", ""))).isEqualTo(PushFault.Reason.INVALID_HEADER);
  }

  @Test
  void bad_field_values_are_refused_with_the_field_named() {
    String[][] cases = {
        {"<version>1</version>", "<version>seven</version>", "version"},
        {"<version>1</version>", "<version>0</version>", "version"},
        {"<outageType>TRANSMISSION</outageType>", "<outageType></outageType>", "outageType"},
    };
    for (String[] c : cases) {
      byte[] xml = replace(iso.unsigned(outage("OUT-10", 1).build()), c[0], c[1]);
      PushReader lenient = new PushReader(List.of(new OmsPushV1Mapping()), false, Clock.fixed(NOW, ZoneOffset.UTC));
      PushRejectedException e = catchThrowableOfType(PushRejectedException.class,
          () -> lenient.read(xml, OUTAGE, pki.isoPushClient().certificate()));
      assertThat(e.fault().reason()).isEqualTo(PushFault.Reason.INVALID_BODY);
      assertThat(e.fault().description()).contains(c[2]);
      assertThat(e.messageId()).as("the MessageID is kept for the log line").isNotNull();
    }
  }

  @Test
  void unknown_status_values_are_passed_on_not_refused() throws Exception {
    PushMessage m = PushMessage.outageStatusChange(new OutageStatusChange("OUT-11", "RESOURCE", 2, "ON_HOLD_NEW",
        "SOMETHING_ELSE", NOW, null)).created(NOW).build();
    var p = reader.read(iso.sign(m, Algorithm.RSA_SHA256), OUTAGE, pki.isoPushClient().certificate());
    assertThat(((ParsedPush.Outage) p.body()).change().status()).isEqualTo("ON_HOLD_NEW");
  }

  @Test
  void unknown_action_is_refused_before_parsing() {
    assertThat(refusal("not even xml".getBytes(StandardCharsets.UTF_8), "receiveOther_v1"))
        .isEqualTo(PushFault.Reason.UNKNOWN_ACTION);
  }

  @Test
  void soap_action_is_unquoted() {
    assertThat(PushReader.unquote("\"receiveMarketEvent_v1\"")).isEqualTo("receiveMarketEvent_v1");
    assertThat(PushReader.unquote(" receiveMarketEvent_v1 ")).isEqualTo("receiveMarketEvent_v1");
    assertThat(PushReader.unquote(null)).isEmpty();
  }
}
