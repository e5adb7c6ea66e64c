package org.omspush.isosim.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.xml.namespace.QName;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.wss4j.common.crypto.CertificateStore;
import org.apache.wss4j.common.ext.WSSecurityException;
import org.apache.wss4j.dom.WSConstants;
import org.apache.wss4j.dom.WSDataRef;
import org.apache.wss4j.dom.engine.WSSConfig;
import org.apache.wss4j.dom.engine.WSSecurityEngine;
import org.apache.wss4j.dom.engine.WSSecurityEngineResult;
import org.apache.wss4j.dom.handler.RequestData;
import org.apache.wss4j.dom.handler.WSHandlerResult;
import org.apache.wss4j.dom.str.STRParser;
import org.apache.wss4j.dom.util.SignatureUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.testing.SharedPki;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class PushSignerTest {

  static final String WSSE = WSConstants.WSSE_NS;
  static final String WSU = WSConstants.WSU_NS;
  static final String DS = WSConstants.SIG_NS;
  static final String CAISO = PushMessage.CAISO_WS_HEADER_NS;
  static final String SOAP = PushMessage.SOAP_NS;
  static final QName BODY = new QName(SOAP, "Body");
  static final QName CAISO_WS_HEADER = new QName(CAISO, "CAISOWSHeader");

  static DevPki pki;
  static PushSigner signer;
  /** Signed before anything in this class touches WSSConfig (the verifier below does). */
  static byte[] firstSigned;

  @BeforeAll
  static void setUp() {
    pki = SharedPki.get(); // one PKI for the whole test run
    signer = PushSigner.of(pki.isoPushClient());
    firstSigned = signer.sign(PushMessage.outageStatusChange(change(3)).build(),
        Algorithm.RSA_SHA256);
  }

  static OutageStatusChange change(long version) {
    return new OutageStatusChange("OMS-12345678", "RESOURCE", version, "APPROVED",
        "RECEIVED", Instant.parse("2026-11-21T17:03:12.345Z"),
        new ClaimCheck("tok-abc", ClaimCheck.OUTAGE_SERVICE,
            Instant.parse("2026-11-22T17:03:12Z")));
  }

  static MarketEvent marketClosed() {
    return new MarketEvent("EV-1", "MARKET_CLOSED", "DAM", LocalDate.parse("2026-11-22"),
        Instant.parse("2026-11-21T18:00:00Z"), null, null);
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void signed_push_verifies_as_a_receiver_checks_it(Algorithm algorithm) throws Exception {
    byte[] envelope = signer.sign(PushMessage.outageStatusChange(change(7)).build(), algorithm);
    Document document = parse(envelope);

    WSSecurityEngineResult signature = verifyOneSignature(document);

    assertThat(signature.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE))
        .isEqualTo(pki.isoPushClient().certificate());
    assertThat(signature.get(WSSecurityEngineResult.TAG_SIGNATURE_METHOD))
        .isEqualTo(algorithm.signatureUri());
    assertThat(signature.get(WSSecurityEngineResult.TAG_CANONICALIZATION_METHOD))
        .isEqualTo(WSConstants.C14N_EXCL_OMIT_COMMENTS);
    assertThat(signature.get(WSSecurityEngineResult.TAG_X509_REFERENCE_TYPE))
        .isEqualTo(STRParser.REFERENCE_TYPE.DIRECT_REF);
    List<WSDataRef> refs = dataRefs(signature);
    assertThat(refs).extracting(WSDataRef::getName)
        .containsExactlyInAnyOrder(BODY, CAISO_WS_HEADER);
    for (WSDataRef ref : refs) {
      assertThat(ref.getDigestAlgorithm()).isEqualTo(algorithm.digestUri());
      assertThat(ref.getTransformAlgorithms()).containsExactly(WSConstants.C14N_EXCL_OMIT_COMMENTS);
    }
    List<WSSecurityEngineResult> results = List.of(signature);
    SignatureUtils.verifySignedElement(body(document), results);
    SignatureUtils.verifySignedElement(caisoWsHeader(document), results);
  }

  @Test
  void base64_has_no_line_breaks_even_in_the_first_message_signed() {
    String text = new String(firstSigned, StandardCharsets.UTF_8);

    assertThat(text).doesNotContain("\n", "\r", "&#13;");
  }

  @Test
  void signature_shape_is_the_contracts_on_the_wire() throws Exception {
    Document document = parse(signer.sign(
        PushMessage.outageStatusChange(change(7)).build(), Algorithm.RSA_SHA256));

    Element security = only(document, WSSE, "Security");
    assertThat(security.getAttributeNS(SOAP, "mustUnderstand")).isEqualTo("1");
    Element bst = only(document, WSSE, "BinarySecurityToken");
    assertThat(bst.getAttribute("ValueType")).isEqualTo(WSConstants.X509TOKEN_NS + "#X509v3");
    assertThat(bst.getAttribute("EncodingType")).isEqualTo(WSConstants.BASE64_ENCODING);
    assertThat(bst.getTextContent()).doesNotContain("\n", "\r", " ");
    assertThat(java.util.Base64.getDecoder().decode(bst.getTextContent()))
        .isEqualTo(pki.isoPushClient().certificate().getEncoded());
    assertThat(only(document, DS, "SignatureValue").getTextContent()).doesNotContain("\n", "\r");

    Element canonicalization = only(document, DS, "CanonicalizationMethod");
    assertThat(canonicalization.getAttribute("Algorithm"))
        .isEqualTo(WSConstants.C14N_EXCL_OMIT_COMMENTS);
    Element reference = only(
        only(document, WSSE, "SecurityTokenReference"), WSSE, "Reference");
    assertThat(reference.getAttribute("URI")).isEqualTo("#" + bst.getAttributeNS(WSU, "Id"));
    assertThat(document.getElementsByTagNameNS(DS, "X509IssuerSerial").getLength()).isZero();

    List<String> referenced = new ArrayList<>();
    NodeList references = only(document, DS, "SignedInfo").getElementsByTagNameNS(DS, "Reference");
    for (int i = 0; i < references.getLength(); i++) {
      referenced.add(((Element) references.item(i)).getAttribute("URI"));
    }
    assertThat(referenced).containsExactlyInAnyOrder(
        "#" + body(document).getAttributeNS(WSU, "Id"),
        "#" + caisoWsHeader(document).getAttributeNS(WSU, "Id"));
  }

  @Test
  void header_names_the_signer_and_expires_fifteen_minutes_after_created() throws Exception {
    PushMessage message = PushMessage.outageStatusChange(change(7)).messageId("MSG-1").build();
    Instant before = Instant.now().minusMillis(1);
    Document document = parse(signer.sign(message, Algorithm.RSA_SHA256));

    Element header = caisoWsHeader(document);
    assertThat(text(header, "Username"))
        .isEqualTo("CN=oms-push.caiso.com,OU=OMS,O=CAISO,C=US")
        .isEqualTo(pki.isoPushClient().certificate().getSubjectX500Principal().getName());
    assertThat(text(header, "MessageID")).isEqualTo("MSG-1");
    assertThat(java.util.Base64.getDecoder().decode(text(header, "Nonce"))).hasSize(16);
    NodeList createds = header.getElementsByTagNameNS(CAISO, "Created");
    assertThat(createds.getLength()).isEqualTo(2);
    Instant created = Instant.parse(createds.item(0).getTextContent());
    assertThat(createds.item(1).getTextContent()).isEqualTo(createds.item(0).getTextContent());
    assertThat(created).isBetween(before, Instant.now());
    assertThat(Instant.parse(text(header, "Expires"))).isEqualTo(created.plus(Duration.ofMinutes(15)));
    Element timestamp = (Element) header.getElementsByTagNameNS(CAISO, "Timestamp").item(0);
    assertThat(timestamp.getParentNode().getLocalName()).isEqualTo("CAISOMessageInfo");
  }

  @Test
  void a_retry_keeps_the_message_id_and_gets_a_fresh_nonce() throws Exception {
    PushMessage message = PushMessage.outageStatusChange(change(7)).build();
    Element first = caisoWsHeader(parse(signer.sign(message, Algorithm.RSA_SHA256)));
    Element retry = caisoWsHeader(parse(signer.sign(message, Algorithm.RSA_SHA256)));

    assertThat(text(retry, "MessageID")).isEqualTo(text(first, "MessageID"))
        .isEqualTo(message.messageId());
    assertThat(text(retry, "Nonce")).isNotEqualTo(text(first, "Nonce"));
  }

  @Test
  void test_overrides_reach_the_header() throws Exception {
    Instant created = Instant.parse("2026-01-01T00:00:00Z");
    PushMessage message = PushMessage.outageStatusChange(change(7))
        .created(created).expires(created.plusSeconds(60)).username("CN=Somebody Else")
        .nonce("bm9uY2U=").build();

    Element header = caisoWsHeader(parse(signer.sign(message, Algorithm.RSA_SHA256)));

    assertThat(text(header, "Username")).isEqualTo("CN=Somebody Else");
    assertThat(text(header, "Nonce")).isEqualTo("bm9uY2U=");
    assertThat(text(header, "Created")).isEqualTo("2026-01-01T00:00:00.000Z");
    assertThat(text(header, "Expires")).isEqualTo("2026-01-01T00:01:00.000Z");
  }

  @Test
  void outage_body_follows_the_contract() throws Exception {
    Document document = parse(signer.sign(
        PushMessage.outageStatusChange(change(7)).build(), Algorithm.RSA_SHA256));
    Element root = firstChildElement(body(document));

    assertThat(root.getNamespaceURI()).isEqualTo("urn:omspush:v1");
    assertThat(root.getLocalName()).isEqualTo("OutageStatusChange");
    assertThat(childNames(root)).containsExactly("outageMRID", "outageType", "version",
        "status", "previousStatus", "lastModified", "claimCheck");
    assertThat(text(root, "lastModified")).isEqualTo("2026-11-21T17:03:12.345Z");
    assertThat(text(root, "service")).isEqualTo("RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP");

    Element first = firstChildElement(body(parse(signer.sign(
        PushMessage.outageStatusChange(change(1)).build(), Algorithm.RSA_SHA256))));
    assertThat(childNames(first)).doesNotContain("previousStatus");
  }

  @Test
  void market_event_body_follows_the_contract() throws Exception {
    PushMessage message = PushMessage.marketEvent(marketClosed()).build();
    assertThat(message.soapAction()).isEqualTo("receiveMarketEvent_v1");
    Document document = parse(signer.sign(message, Algorithm.RSA_SHA1));
    verifyOneSignature(document);
    Element root = firstChildElement(body(document));

    assertThat(root.getLocalName()).isEqualTo("MarketEvent");
    assertThat(childNames(root))
        .containsExactly("eventId", "eventType", "market", "tradeDate", "eventTime");
    assertThat(text(root, "tradeDate")).isEqualTo("2026-11-22");
  }

  @Test
  void tampered_body_fails_verification() throws Exception {
    byte[] tampered = signer.signThenTamper(
        PushMessage.outageStatusChange(change(7)).build(), Algorithm.RSA_SHA256,
        "status", "CANCELLED");
    Document document = parse(tampered);
    assertThat(text(body(document), "status")).isEqualTo("CANCELLED");

    assertThatThrownBy(() -> verify(document)).isInstanceOf(WSSecurityException.class);
  }

  @Test
  void header_only_signature_verifies_but_does_not_cover_the_body() throws Exception {
    Document document = parse(signer.signHeaderOnly(
        PushMessage.outageStatusChange(change(7)).build(), Algorithm.RSA_SHA256));

    WSSecurityEngineResult signature = verifyOneSignature(document);

    assertThat(dataRefs(signature)).extracting(WSDataRef::getName)
        .containsExactly(CAISO_WS_HEADER);
    assertThatThrownBy(() -> SignatureUtils.verifySignedElement(body(document), List.of(signature)))
        .isInstanceOf(WSSecurityException.class);
  }

  @Test
  void unsigned_push_has_no_security_header() throws Exception {
    Document document = parse(signer.unsigned(PushMessage.outageStatusChange(change(7)).build()));

    assertThat(document.getElementsByTagNameNS(WSSE, "Security").getLength()).isZero();
    assertThat(text(caisoWsHeader(document), "Username"))
        .isEqualTo(pki.isoPushClient().subject().getName());
    assertThat(verify(document)).as("WSS4J finds no security header").isNull();
  }

  @Test
  void push_without_caiso_header_is_signed_over_the_body_only() throws Exception {
    Document document = parse(signer.sign(
        PushMessage.outageStatusChange(change(7)).withoutCaisoHeader().build(),
        Algorithm.RSA_SHA256));

    assertThat(document.getElementsByTagNameNS(CAISO, "CAISOWSHeader").getLength()).isZero();
    assertThat(dataRefs(verifyOneSignature(document))).extracting(WSDataRef::getName)
        .containsExactly(BODY);
  }

  @Test
  void raw_body_is_sent_as_given_under_the_chosen_action() throws Exception {
    PushMessage message = PushMessage.rawBody("receiveSomethingElse_v1",
        "<Unknown xmlns=\"urn:omspush:v1\"><x>1</x></Unknown>").build();
    Document document = parse(signer.sign(message, Algorithm.RSA_SHA256));

    verifyOneSignature(document);
    assertThat(message.soapAction()).isEqualTo("receiveSomethingElse_v1");
    assertThat(firstChildElement(body(document)).getLocalName()).isEqualTo("Unknown");
    assertThatThrownBy(() -> PushMessage.rawBody("a", "<broken>"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void padded_push_has_exactly_the_asked_size_and_still_verifies(Algorithm algorithm)
      throws Exception {
    int oneMegabyte = 1_000_000;
    byte[] outage = signer.sign(
        PushMessage.outageStatusChange(change(7)).padTo(oneMegabyte).build(), algorithm);
    byte[] event = signer.sign(
        PushMessage.marketEvent(marketClosed()).padTo(oneMegabyte).build(), algorithm);
    byte[] unsigned = signer.unsigned(
        PushMessage.marketEvent(marketClosed()).padTo(oneMegabyte).build());

    assertThat(outage).hasSize(oneMegabyte);
    assertThat(event).hasSize(oneMegabyte);
    assertThat(unsigned).hasSize(oneMegabyte);
    verifyOneSignature(parse(outage));
    Document eventDocument = parse(event);
    verifyOneSignature(eventDocument);
    assertThat(text(body(eventDocument), "description")).matches("x{900000,}");
  }

  @Test
  void twenty_megabyte_push_is_built_to_the_byte_and_verifies() throws Exception {
    byte[] big = signer.sign(
        PushMessage.marketEvent(marketClosed()).padTo(20_000_000).build(), Algorithm.RSA_SHA256);

    assertThat(big).hasSize(20_000_000);
    verifyOneSignature(parse(big));
  }

  @Test
  void one_signer_signs_on_many_threads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> signed = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Algorithm algorithm = i % 2 == 0 ? Algorithm.RSA_SHA256 : Algorithm.RSA_SHA1;
        PushMessage message = PushMessage.outageStatusChange(change(i + 2)).build();
        signed.add(pool.submit(() -> signer.sign(message, algorithm)));
      }
      for (Future<byte[]> envelope : signed) {
        verifyOneSignature(parse(envelope.get()));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // --- a receiver's verification, as wss4j-notes.md describes it

  static WSHandlerResult verify(Document document) throws WSSecurityException {
    WSSConfig config = WSSConfig.getNewInstance();
    config.setProcessor(WSConstants.SAML_TOKEN, (Class<?>) null);
    config.setProcessor(WSConstants.SAML2_TOKEN, (Class<?>) null);
    WSSecurityEngine engine = new WSSecurityEngine();
    engine.setWssConfig(config);
    RequestData data = new RequestData();
    data.setWssConfig(config);
    data.setSigVerCrypto(new CertificateStore(
        pki.isoCaBundleCertificates().toArray(X509Certificate[]::new)));
    return engine.processSecurityHeader(document, data);
  }

  static WSSecurityEngineResult verifyOneSignature(Document document) throws Exception {
    WSHandlerResult result = verify(document);
    assertThat(result).isNotNull();
    List<WSSecurityEngineResult> signatures = result.getActionResults().get(WSConstants.SIGN);
    assertThat(signatures).hasSize(1);
    return signatures.get(0);
  }

  @SuppressWarnings("unchecked")
  static List<WSDataRef> dataRefs(WSSecurityEngineResult signature) {
    return (List<WSDataRef>) signature.get(WSSecurityEngineResult.TAG_DATA_REF_URIS);
  }

  static Document parse(byte[] envelope) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    assertThat(new String(envelope, 0, Math.min(envelope.length, 40), StandardCharsets.UTF_8))
        .startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(envelope));
  }

  static Element body(Document document) {
    return only(document, SOAP, "Body");
  }

  static Element caisoWsHeader(Document document) {
    return only(document, CAISO, "CAISOWSHeader");
  }

  static Element only(Document document, String namespace, String localName) {
    NodeList nodes = document.getElementsByTagNameNS(namespace, localName);
    assertThat(nodes.getLength()).as(localName).isEqualTo(1);
    return (Element) nodes.item(0);
  }

  static Element only(Element parent, String namespace, String localName) {
    NodeList nodes = parent.getElementsByTagNameNS(namespace, localName);
    assertThat(nodes.getLength()).as(localName).isEqualTo(1);
    return (Element) nodes.item(0);
  }

  static String text(Element parent, String localName) {
    return parent.getElementsByTagNameNS("*", localName).item(0).getTextContent();
  }

  static Element firstChildElement(Element parent) {
    for (var node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element) {
        return element;
      }
    }
    throw new AssertionError("no child element in " + parent.getLocalName());
  }

  static List<String> childNames(Element parent) {
    List<String> names = new ArrayList<>();
    for (var node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element) {
        names.add(element.getLocalName());
      }
    }
    return names;
  }
}
