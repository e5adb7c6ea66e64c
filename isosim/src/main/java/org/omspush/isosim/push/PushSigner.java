package org.omspush.isosim.push;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.security.auth.callback.CallbackHandler;
import org.apache.wss4j.common.WSEncryptionPart;
import org.apache.wss4j.common.crypto.CertificateStore;
import org.apache.wss4j.common.ext.WSSecurityException;
import org.apache.wss4j.dom.WSConstants;
import org.apache.wss4j.dom.engine.WSSConfig;
import org.apache.wss4j.dom.message.WSSecHeader;
import org.apache.wss4j.dom.message.WSSecSignature;
import org.omspush.isosim.pki.DevPki;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Signs pushes as the ISO does: a {@code wsse:Security} header (mustUnderstand) with the
 * certificate as an X.509v3 BinarySecurityToken and an XML signature over {@code soap:Body} and
 * {@code CAISOWSHeader} (exclusive C14N, key referenced directly to the token).
 *
 * <p>Thread-safe: one signer can sign on many threads at once; every call builds its own DOM.
 */
public final class PushSigner {

  /** The two signature suites the ISO uses. */
  public enum Algorithm {
    /** RSA-SHA256 signature, SHA-256 digests. */
    RSA_SHA256(WSConstants.RSA_SHA256, WSConstants.SHA256),
    /** RSA-SHA1 signature, SHA-1 digests (the ISO's own tools still send it). */
    RSA_SHA1(WSConstants.RSA_SHA1, WSConstants.SHA1);

    private final String signatureUri;
    private final String digestUri;

    Algorithm(String signatureUri, String digestUri) {
      this.signatureUri = signatureUri;
      this.digestUri = digestUri;
    }

    public String signatureUri() {
      return signatureUri;
    }

    public String digestUri() {
      return digestUri;
    }
  }

  /** Which parts of the envelope the signature covers. */
  private enum Coverage { BODY_AND_HEADER, HEADER_ONLY }

  static {
    // Before init(), Santuario wraps base64 (the BST, signature values) with CRLF line breaks.
    WSSConfig.init();
  }

  private final X509Certificate certificate;
  private final SigningKey crypto;
  private final String subjectDn;

  public PushSigner(X509Certificate certificate, PrivateKey privateKey) {
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.crypto = new SigningKey(certificate, Objects.requireNonNull(privateKey, "privateKey"));
    this.subjectDn = certificate.getSubjectX500Principal().getName();
  }

  /** A signer with the credential's certificate and key. */
  public static PushSigner of(DevPki.Credential credential) {
    return new PushSigner(credential.certificate(), credential.privateKey());
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The signed envelope, UTF-8. */
  public byte[] sign(PushMessage message, Algorithm algorithm) {
    return write(message, document -> sign(document, algorithm, Coverage.BODY_AND_HEADER));
  }

  /** The signed envelope as text. */
  public String signToString(PushMessage message, Algorithm algorithm) {
    return new String(sign(message, algorithm), StandardCharsets.UTF_8);
  }

  /** The envelope without a {@code wsse:Security} header. */
  public byte[] unsigned(PushMessage message) {
    return write(message, document -> { });
  }

  /** A validly signed envelope whose signature covers {@code CAISOWSHeader} but not the Body. */
  public byte[] signHeaderOnly(PushMessage message, Algorithm algorithm) {
    if (!message.hasCaisoHeader()) {
      throw new IllegalArgumentException("a message without CAISOWSHeader has no header to sign");
    }
    return write(message, document -> sign(document, algorithm, Coverage.HEADER_ONLY));
  }

  /**
   * A signed envelope in which, after signing, the text of the first body element named
   * {@code localName} was replaced by {@code newValue}: its Body digest no longer matches.
   */
  public byte[] signThenTamper(PushMessage message, Algorithm algorithm, String localName,
      String newValue) {
    return write(message, document -> {
      sign(document, algorithm, Coverage.BODY_AND_HEADER);
      Element body = (Element) document.getElementsByTagNameNS(PushMessage.SOAP_NS, "Body").item(0);
      NodeList matches = body.getElementsByTagNameNS("*", localName);
      if (matches.getLength() == 0) {
        throw new IllegalArgumentException("no body element named " + localName);
      }
      matches.item(0).setTextContent(newValue);
    });
  }

  private interface Finish {
    void apply(Document document);
  }

  private byte[] write(PushMessage message, Finish finish) {
    PushMessage stamped = message.stamped(subjectDn);
    int padding = 0;
    if (stamped.targetSize() > 0) {
      int seed = stamped.minimumPadding();
      Document probe = stamped.toDocument(seed);
      finish.apply(probe);
      int probeSize = Xml.serialize(probe, 0).length;
      if (probeSize > stamped.targetSize()) {
        throw new IllegalArgumentException("the message is " + probeSize
            + " bytes with minimal padding; cannot pad it to " + stamped.targetSize());
      }
      padding = seed + (stamped.targetSize() - probeSize);
    }
    Document document = stamped.toDocument(padding);
    finish.apply(document);
    return Xml.serialize(document, stamped.targetSize() + 8192);
  }

  private void sign(Document document, Algorithm algorithm, Coverage coverage) {
    try {
      WSSecHeader securityHeader = new WSSecHeader(null, true, document);
      securityHeader.insertSecurityHeader();
      WSSecSignature signature = new WSSecSignature(securityHeader);
      signature.setX509Certificate(certificate);
      signature.setUserInfo(subjectDn, "");
      signature.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
      signature.setSignatureAlgorithm(algorithm.signatureUri());
      signature.setDigestAlgo(algorithm.digestUri());
      signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
      if (coverage == Coverage.BODY_AND_HEADER) {
        signature.getParts().add(
            new WSEncryptionPart(WSConstants.ELEM_BODY, PushMessage.SOAP_NS, "Element"));
      }
      if (document.getElementsByTagNameNS(PushMessage.CAISO_WS_HEADER_NS, "CAISOWSHeader")
          .getLength() > 0) {
        signature.getParts().add(
            new WSEncryptionPart("CAISOWSHeader", PushMessage.CAISO_WS_HEADER_NS, "Element"));
      }
      signature.build(crypto);
    } catch (WSSecurityException e) {
      throw new IllegalStateException("cannot sign push: " + e.getMessage(), e);
    }
  }

  /** What WSS4J asks for the key: this signer's certificate and private key, whatever alias. */
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
