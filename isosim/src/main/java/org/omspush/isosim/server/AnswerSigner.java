package org.omspush.isosim.server;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.security.auth.callback.CallbackHandler;
import org.apache.wss4j.common.WSEncryptionPart;
import org.apache.wss4j.common.crypto.CertificateStore;
import org.apache.wss4j.common.ext.WSSecurityException;
import org.apache.wss4j.dom.WSConstants;
import org.apache.wss4j.dom.engine.WSSConfig;
import org.apache.wss4j.dom.message.WSSecHeader;
import org.apache.wss4j.dom.message.WSSecSignature;
import org.w3c.dom.Document;

/**
 * Signs every answer with the ISO's server certificate: a {@code wsse:Security} header
 * (mustUnderstand) with the certificate as a BinarySecurityToken and an RSA-SHA256 signature
 * (SHA-256 digest, exclusive C14N, direct reference to the token) over {@code soap:Body}.
 * Thread-safe; blocking CPU work.
 */
final class AnswerSigner {

  static {
    // Before init(), Santuario wraps base64 with CRLF line breaks.
    WSSConfig.init();
  }

  private final X509Certificate certificate;
  private final CertificateStore crypto;
  private final String subjectDn;

  AnswerSigner(X509Certificate certificate, PrivateKey privateKey) {
    this.certificate = certificate;
    this.crypto = new SigningKey(certificate, privateKey);
    this.subjectDn = certificate.getSubjectX500Principal().getName();
  }

  /** Forces the one-time WSS4J and Santuario set-up. */
  static void init() {}

  X509Certificate certificate() {
    return certificate;
  }

  void sign(Document envelope) {
    try {
      WSSecHeader securityHeader = new WSSecHeader(null, true, envelope);
      securityHeader.insertSecurityHeader();
      WSSecSignature signature = new WSSecSignature(securityHeader);
      signature.setX509Certificate(certificate);
      signature.setUserInfo(subjectDn, "");
      signature.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
      signature.setSignatureAlgorithm(WSConstants.RSA_SHA256);
      signature.setDigestAlgo(WSConstants.SHA256);
      signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
      signature.getParts().add(
          new WSEncryptionPart(WSConstants.ELEM_BODY, Answers.SOAP_NS, "Element"));
      signature.build(crypto);
    } catch (WSSecurityException e) {
      throw new IllegalStateException("cannot sign answer: " + e.getMessage(), e);
    }
  }

  /** What WSS4J asks for the key: the server certificate and its key, whatever alias. */
  private static final class SigningKey extends CertificateStore {
    private final PrivateKey privateKey;

    SigningKey(X509Certificate certificate, PrivateKey privateKey) {
      super(new X509Certificate[] {certificate});
      this.privateKey = privateKey;
    }

    @Override
    public PrivateKey getPrivateKey(String identifier, String password) {
      return privateKey;
    }

    @Override
    public PrivateKey getPrivateKey(X509Certificate certificate, CallbackHandler handler) {
      return privateKey;
    }
  }
}
