package org.omspush.isosim.server;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.apache.wss4j.common.WSS4JConstants;
import org.apache.wss4j.common.crypto.AlgorithmSuite;
import org.apache.wss4j.common.crypto.Crypto;
import org.apache.wss4j.common.crypto.Merlin;
import org.apache.wss4j.common.ext.WSSecurityException;
import org.apache.wss4j.dom.WSConstants;
import org.apache.wss4j.dom.engine.WSSConfig;
import org.apache.wss4j.dom.engine.WSSecurityEngine;
import org.apache.wss4j.dom.engine.WSSecurityEngineResult;
import org.apache.wss4j.dom.handler.RequestData;
import org.apache.wss4j.dom.handler.WSHandlerResult;
import org.apache.wss4j.dom.processor.Processor;
import org.apache.wss4j.dom.util.SignatureUtils;
import org.apache.wss4j.dom.validate.NoOpValidator;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Checks a retrieve request as the ISO does (iso-interface.md, wss4j-notes.md): a SOAP 1.1
 * envelope with {@code CAISOWSHeader}; a {@code wsse:Security} header holding exactly one
 * BinarySecurityToken and one signature, verified by WSS4J, covering {@code soap:Body} and
 * {@code CAISOWSHeader}, made with the TLS client certificate; {@code Username} naming that
 * certificate (compared as X.500 names); Created at most 5 minutes ahead, Expires not passed.
 * Security failures are 403, a missing or malformed header 400. Blocking CPU work.
 */
final class RequestSecurity {

  static final String WSSE_NS = WSConstants.WSSE_NS;
  static final String DSIG_NS = WSConstants.SIG_NS;
  static final String CAISO_WS_HEADER_NS = "http://www.caiso.com/soa/2006-09-30/CAISOWSHeader.xsd";
  static final Duration MAX_CLOCK_AHEAD = Duration.ofMinutes(5);

  private static final WSSConfig CONFIG;
  private static final AlgorithmSuite ALGORITHMS;
  private static final Crypto CERTIFICATE_FACTORY_ONLY = new Merlin();

  static {
    WSSConfig.init();
    CONFIG = WSSConfig.getNewInstance();
    // Only the BinarySecurityToken and the Signature are expected. SAML above all is switched
    // off: OpenSAML is not on the class path.
    for (var name : List.of(WSConstants.SAML_TOKEN, WSConstants.SAML2_TOKEN,
        WSConstants.ENCRYPTED_KEY, WSConstants.ENCRYPTED_DATA, WSConstants.REFERENCE_LIST,
        WSConstants.ENCRYPTED_ASSERTION, WSConstants.USERNAME_TOKEN,
        WSConstants.DERIVED_KEY_TOKEN_05_02, WSConstants.DERIVED_KEY_TOKEN_05_12,
        WSConstants.SECURITY_CONTEXT_TOKEN_05_02, WSConstants.SECURITY_CONTEXT_TOKEN_05_12)) {
      CONFIG.setProcessor(name, (Processor) null);
    }
    // Trust is decided by mutual TLS; the signer must then be that very certificate.
    CONFIG.setValidator(WSConstants.SIGNATURE, new NoOpValidator());
    ALGORITHMS = new AlgorithmSuite();
    ALGORITHMS.addSignatureMethod(WSS4JConstants.RSA_SHA256);
    ALGORITHMS.addSignatureMethod(WSS4JConstants.RSA_SHA1);
    ALGORITHMS.addDigestAlgorithm(WSS4JConstants.SHA256);
    ALGORITHMS.addDigestAlgorithm(WSS4JConstants.SHA1);
    ALGORITHMS.addC14nAlgorithm(WSS4JConstants.C14N_EXCL_OMIT_COMMENTS);
    ALGORITHMS.addTransformAlgorithm(WSS4JConstants.C14N_EXCL_OMIT_COMMENTS);
    ALGORITHMS.setMinimumAsymmetricKeyLength(2048);
  }

  private RequestSecurity() {}

  /** Forces the one-time WSS4J and Santuario set-up. */
  static void init() {}

  /** Checks the envelope; returns its {@code soap:Body}. */
  static Element check(Document envelope, X509Certificate tlsClient, Instant now)
      throws RefusedException {
    Element root = envelope.getDocumentElement();
    if (!Dom.is(root, Answers.SOAP_NS, "Envelope")) {
      throw new RefusedException(RetrieveFault.malformed(
          "The request is not a SOAP 1.1 envelope (expected {" + Answers.SOAP_NS + "}Envelope)"));
    }
    Element header;
    Element body;
    Element caisoHeader;
    List<Element> securityHeaders;
    try {
      header = Dom.child(root, Answers.SOAP_NS, "Header");
      body = Dom.child(root, Answers.SOAP_NS, "Body");
      if (header == null) {
        throw new RefusedException(RetrieveFault.malformed(
            "The request has no soap:Header; CAISOWSHeader and wsse:Security are required"));
      }
      caisoHeader = Dom.child(header, CAISO_WS_HEADER_NS, "CAISOWSHeader");
      securityHeaders = Dom.children(header).stream()
          .filter(e -> Dom.is(e, WSSE_NS, "Security")).toList();
    } catch (IllegalArgumentException e) {
      throw new RefusedException(RetrieveFault.malformed("The envelope is malformed: "
          + e.getMessage()));
    }
    if (body == null) {
      throw new RefusedException(RetrieveFault.malformed("The request has no soap:Body"));
    }
    if (caisoHeader == null) {
      throw new RefusedException(RetrieveFault.malformed("The request has no CAISOWSHeader"));
    }
    if (securityHeaders.isEmpty()) {
      throw new RefusedException(RetrieveFault.forbidden(
          "The request is not signed: it has no wsse:Security header"));
    }
    if (securityHeaders.size() > 1) {
      throw new RefusedException(RetrieveFault.forbidden(
          "The request has more than one wsse:Security header"));
    }
    Element security = securityHeaders.get(0);
    checkHoldsOnlyTokenAndSignature(security);
    X509Certificate signer = verifySignature(security, body, caisoHeader, tlsClient);
    checkCaisoHeader(caisoHeader, signer, now);
    return body;
  }

  private static X509Certificate verifySignature(Element security, Element body,
      Element caisoHeader, X509Certificate tlsClient) throws RefusedException {
    RequestData data = new RequestData();
    data.setWssConfig(CONFIG);
    data.setSigVerCrypto(CERTIFICATE_FACTORY_ONLY);
    data.setAlgorithmSuite(ALGORITHMS);
    data.setTlsCerts(new Certificate[] {tlsClient});
    WSSecurityEngine engine = new WSSecurityEngine();
    engine.setWssConfig(CONFIG);
    WSHandlerResult result;
    try {
      result = engine.processSecurityHeader(security, data);
    } catch (WSSecurityException e) {
      throw forbidden("The WS-Security signature did not verify: "
          + Dom.clip(String.valueOf(e.getMessage())));
    } catch (RuntimeException | LinkageError e) {
      throw forbidden("The WS-Security header could not be processed: "
          + e.getClass().getSimpleName());
    }
    if (result == null) {
      throw forbidden("The request is not signed: the wsse:Security header is empty");
    }
    List<WSSecurityEngineResult> signatures =
        result.getActionResults().getOrDefault(WSConstants.SIGN, List.of());
    if (signatures.size() != 1) {
      throw forbidden("Exactly one signature is expected, found " + signatures.size());
    }
    try {
      SignatureUtils.verifySignedElement(body, result.getResults());
      SignatureUtils.verifySignedElement(caisoHeader, result.getResults());
    } catch (WSSecurityException e) {
      throw forbidden("The signature must cover soap:Body and CAISOWSHeader, each referenced by "
          + "its wsu:Id");
    }
    X509Certificate signer = (X509Certificate) signatures.get(0)
        .get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
    if (signer == null) {
      throw forbidden("The signature does not refer to an X.509 BinarySecurityToken");
    }
    if (!signer.equals(tlsClient)) {
      throw forbidden("The request is signed by " + signer.getSubjectX500Principal().getName()
          + ", not by the TLS client certificate "
          + tlsClient.getSubjectX500Principal().getName());
    }
    return signer;
  }

  private static void checkCaisoHeader(Element caisoHeader, X509Certificate signer, Instant now)
      throws RefusedException {
    try {
      Element token = Dom.child(caisoHeader, CAISO_WS_HEADER_NS, "CAISOUsernameToken");
      Element username = token == null ? null
          : Dom.child(token, CAISO_WS_HEADER_NS, "Username");
      if (username == null || username.getTextContent().isBlank()) {
        throw new RefusedException(RetrieveFault.malformed(
            "CAISOWSHeader/CAISOUsernameToken/Username is missing"));
      }
      X500Principal named;
      try {
        named = new X500Principal(username.getTextContent().strip());
      } catch (IllegalArgumentException e) {
        throw forbidden("Username '" + Dom.clip(username.getTextContent())
            + "' is not an X.500 distinguished name");
      }
      if (!named.equals(signer.getSubjectX500Principal())) {
        throw forbidden("Username " + named.getName() + " does not name the signing certificate "
            + signer.getSubjectX500Principal().getName());
      }
      Element info = Dom.child(caisoHeader, CAISO_WS_HEADER_NS, "CAISOMessageInfo");
      Element timestamp = info == null ? null
          : Dom.child(info, CAISO_WS_HEADER_NS, "Timestamp");
      if (timestamp == null) {
        throw new RefusedException(RetrieveFault.malformed(
            "CAISOWSHeader/CAISOMessageInfo/Timestamp is missing"));
      }
      Instant created = time(timestamp, "Created");
      Instant expires = time(timestamp, "Expires");
      if (created.isAfter(now.plus(MAX_CLOCK_AHEAD))) {
        throw new RefusedException(RetrieveFault.malformed("Timestamp/Created " + created
            + " is more than 5 minutes in the future (now " + now + ")"));
      }
      if (now.isAfter(expires)) {
        throw new RefusedException(RetrieveFault.malformed("The request expired at " + expires
            + " (now " + now + "); re-sign it with a fresh Timestamp"));
      }
    } catch (IllegalArgumentException e) {
      throw new RefusedException(RetrieveFault.malformed("CAISOWSHeader is malformed: "
          + e.getMessage()));
    }
  }

  private static Instant time(Element timestamp, String name) throws RefusedException {
    Element element = Dom.child(timestamp, CAISO_WS_HEADER_NS, name);
    if (element == null) {
      throw new RefusedException(RetrieveFault.malformed("Timestamp/" + name + " is missing"));
    }
    try {
      return OffsetDateTime.parse(element.getTextContent().strip()).toInstant();
    } catch (DateTimeParseException e) {
      throw new RefusedException(RetrieveFault.malformed("Timestamp/" + name
          + " is not an xs:dateTime with a time zone: '" + Dom.clip(element.getTextContent())
          + "'"));
    }
  }

  private static void checkHoldsOnlyTokenAndSignature(Element security) throws RefusedException {
    int tokens = 0;
    int signatures = 0;
    for (Element element : Dom.children(security)) {
      if (Dom.is(element, WSSE_NS, "BinarySecurityToken")) {
        tokens++;
      } else if (Dom.is(element, DSIG_NS, "Signature")) {
        signatures++;
      } else {
        throw forbidden("The wsse:Security header may hold only a BinarySecurityToken and a "
            + "Signature, not {" + element.getNamespaceURI() + "}" + element.getLocalName());
      }
    }
    if (signatures == 0) {
      throw forbidden("The request is not signed: the wsse:Security header holds no Signature");
    }
    if (tokens != 1 || signatures != 1) {
      throw forbidden("The wsse:Security header must hold one BinarySecurityToken and one "
          + "Signature");
    }
  }

  private static RefusedException forbidden(String description) {
    return new RefusedException(RetrieveFault.forbidden(description));
  }
}
