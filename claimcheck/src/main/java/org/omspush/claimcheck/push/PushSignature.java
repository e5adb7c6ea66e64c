package org.omspush.claimcheck.push;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
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
 * Verifies the WS-Security signature of a push with WSS4J, then checks what WSS4J leaves to the
 * application (see shared/design/wss4j-notes.md): one signature, over soap:Body and CAISOWSHeader,
 * made with the certificate the TLS client presented.
 */
public final class PushSignature {
  private static final WSSConfig CONFIG;
  private static final AlgorithmSuite ALGORITHMS;
  private static final Crypto CERTIFICATE_FACTORY_ONLY = new Merlin();

  static {
    WSSConfig.init();
    CONFIG = WSSConfig.getNewInstance();
    // Only the BinarySecurityToken and the Signature are expected. Everything else is switched off,
    // SAML above all: OpenSAML is not on the class path.
    for (var q : List.of(WSConstants.SAML_TOKEN, WSConstants.SAML2_TOKEN, WSConstants.ENCRYPTED_KEY,
        WSConstants.ENCRYPTED_DATA, WSConstants.REFERENCE_LIST, WSConstants.ENCRYPTED_ASSERTION,
        WSConstants.USERNAME_TOKEN, WSConstants.DERIVED_KEY_TOKEN_05_02, WSConstants.DERIVED_KEY_TOKEN_05_12,
        WSConstants.SECURITY_CONTEXT_TOKEN_05_02, WSConstants.SECURITY_CONTEXT_TOKEN_05_12)) {
      CONFIG.setProcessor(q, (Processor) null);
    }
    // Trust is decided by mutual TLS; the signer is then required to be that very certificate.
    CONFIG.setValidator(WSConstants.SIGNATURE, new NoOpValidator());

    ALGORITHMS = new AlgorithmSuite();
    ALGORITHMS.addSignatureMethod(WSS4JConstants.RSA_SHA256);
    ALGORITHMS.addSignatureMethod(WSS4JConstants.RSA_SHA1); // the ISO's own tools still sign with SHA-1
    ALGORITHMS.addDigestAlgorithm(WSS4JConstants.SHA256);
    ALGORITHMS.addDigestAlgorithm(WSS4JConstants.SHA1);
    ALGORITHMS.addC14nAlgorithm(WSS4JConstants.C14N_EXCL_OMIT_COMMENTS);
    ALGORITHMS.addTransformAlgorithm(WSS4JConstants.C14N_EXCL_OMIT_COMMENTS);
    ALGORITHMS.setMinimumAsymmetricKeyLength(2048);
  }

  private PushSignature() {}

  /** Makes sure the one-time WSS4J and Santuario set-up has run (at start-up, not on the first push). */
  static void init() {}

  /**
   * @return the signing certificate, which equals {@code tlsClient}
   */
  static X509Certificate verify(Document doc, Element security, Element body, Element caisoHeader,
      X509Certificate tlsClient, String messageId) throws PushRejectedException {
    return verify(security, List.of(body, caisoHeader), tlsClient, messageId);
  }

  /**
   * Verifies the one signature in {@code security}, that it covers every element of
   * {@code mustCover}, and that it was made with {@code expectedSigner} (the certificate the TLS
   * peer proved it holds). Also used for the ISO's signed answers to retrieves.
   */
  public static X509Certificate verify(Element security, List<Element> mustCover, X509Certificate expectedSigner,
      String messageId) throws PushRejectedException {
    X509Certificate tlsClient = expectedSigner;
    checkSecurityHeaderHoldsOnlyTokenAndSignature(security, messageId);

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
      throw refused(PushFault.Reason.SIGNATURE_INVALID, "The WS-Security signature did not verify: "
          + Texts.clip(String.valueOf(e.getMessage())), messageId, e);
    } catch (RuntimeException | LinkageError e) {
      throw refused(PushFault.Reason.SIGNATURE_INVALID, "The WS-Security header could not be processed: "
          + e.getClass().getSimpleName(), messageId, e);
    }
    if (result == null) {
      throw refused(PushFault.Reason.SIGNATURE_MISSING, "The message has no WS-Security header", messageId, null);
    }
    Map<Integer, List<WSSecurityEngineResult>> byAction = result.getActionResults();
    List<WSSecurityEngineResult> signatures = byAction.getOrDefault(WSConstants.SIGN, List.of());
    if (signatures.size() != 1) {
      throw refused(PushFault.Reason.SIGNATURE_INVALID,
          "Exactly one signature is expected, found " + signatures.size(), messageId, null);
    }
    for (Element covered : mustCover) {
      try {
        SignatureUtils.verifySignedElement(covered, result.getResults());
      } catch (WSSecurityException e) {
        throw refused(PushFault.Reason.SIGNATURE_INVALID, "The signature must cover " + covered.getLocalName()
            + (mustCover.size() > 1 ? " (soap:Body and CAISOWSHeader, each referenced by its wsu:Id)" : ""),
            messageId, e);
      }
    }
    WSSecurityEngineResult signature = signatures.get(0);
    X509Certificate signer = (X509Certificate) signature.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
    if (signer == null) {
      throw refused(PushFault.Reason.SIGNATURE_INVALID,
          "The signature does not refer to an X.509 BinarySecurityToken", messageId, null);
    }
    // Whatever KeyInfo names, only the certificate the TLS client proved it holds may sign.
    if (!signer.equals(tlsClient)) {
      throw refused(PushFault.Reason.SIGNER_MISMATCH, "The message is signed by " + signer.getSubjectX500Principal()
          .getName() + ", not by the certificate of the TLS peer", messageId, null);
    }
    return signer;
  }

  private static void checkSecurityHeaderHoldsOnlyTokenAndSignature(Element security, String messageId)
      throws PushRejectedException {
    int tokens = 0;
    int signatures = 0;
    for (Element e : Dom.children(security)) {
      if (Dom.is(e, Ns.WSSE, "BinarySecurityToken")) {
        tokens++;
      } else if (Dom.is(e, Ns.DSIG, "Signature")) {
        signatures++;
      } else {
        throw refused(PushFault.Reason.SIGNATURE_INVALID, "The WS-Security header may hold only a "
            + "BinarySecurityToken and a Signature, not {" + e.getNamespaceURI() + "}" + e.getLocalName(),
            messageId, null);
      }
    }
    if (signatures == 0) {
      throw refused(PushFault.Reason.SIGNATURE_MISSING, "The WS-Security header holds no Signature", messageId, null);
    }
    if (tokens != 1 || signatures != 1) {
      throw refused(PushFault.Reason.SIGNATURE_INVALID,
          "The WS-Security header must hold one BinarySecurityToken and one Signature", messageId, null);
    }
  }

  private static PushRejectedException refused(PushFault.Reason reason, String description, String messageId,
      Throwable cause) {
    return new PushRejectedException(reason, description, messageId, cause);
  }
}
