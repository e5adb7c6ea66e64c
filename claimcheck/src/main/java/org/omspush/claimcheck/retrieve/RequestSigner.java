package org.omspush.claimcheck.retrieve;

import java.io.ByteArrayOutputStream;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;
import javax.security.auth.callback.CallbackHandler;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.wss4j.common.WSEncryptionPart;
import org.apache.wss4j.common.crypto.CertificateStore;
import org.apache.wss4j.dom.WSConstants;
import org.apache.wss4j.dom.engine.WSSConfig;
import org.apache.wss4j.dom.message.WSSecHeader;
import org.apache.wss4j.dom.message.WSSecSignature;
import org.omspush.claimcheck.push.Ns;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Builds and signs a retrieve request as the contract wants it: CAISOWSHeader (Username = the
 * certificate's subject DN, Nonce, Created, MessageID, Timestamp), then a WS-Security signature
 * over soap:Body and CAISOWSHeader with a direct reference to the certificate. Blocking CPU
 * work: call it on a worker thread.
 */
public final class RequestSigner {
  private static final SecureRandom RANDOM = new SecureRandom();

  static {
    WSSConfig.init();
  }

  private final X509Certificate certificate;
  private final SigningKey crypto;
  private final String subjectDn;

  public RequestSigner(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.crypto = new SigningKey(certificate, key);
    this.subjectDn = certificate.getSubjectX500Principal().getName();
  }

  /**
   * @param bodyBuilder fills the soap:Body with the request element
   * @return the signed envelope, UTF-8
   */
  public byte[] sign(java.util.function.Consumer<Element> bodyBuilder) {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      Document doc = f.newDocumentBuilder().newDocument();
      Element envelope = doc.createElementNS(Ns.SOAP11, "soap:Envelope");
      doc.appendChild(envelope);
      Element header = child(envelope, Ns.SOAP11, "soap:Header");
      Element body = child(envelope, Ns.SOAP11, "soap:Body");
      caisoHeader(header);
      bodyBuilder.accept(body);

      WSSecHeader security = new WSSecHeader(null, true, doc);
      security.insertSecurityHeader();
      WSSecSignature signature = new WSSecSignature(security);
      signature.setX509Certificate(certificate);
      signature.setUserInfo(subjectDn, "");
      signature.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
      signature.setSignatureAlgorithm(WSConstants.RSA_SHA256);
      signature.setDigestAlgo(WSConstants.SHA256);
      signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
      signature.getParts().add(new WSEncryptionPart(WSConstants.ELEM_BODY, Ns.SOAP11, "Element"));
      signature.getParts().add(new WSEncryptionPart("CAISOWSHeader", Ns.CAISO_WS_HEADER, "Element"));
      signature.build(crypto);
      return serialize(doc);
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign the retrieve request: " + e.getMessage(), e);
    }
  }

  private void caisoHeader(Element header) {
    String ns = Ns.CAISO_WS_HEADER;
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    Element h = child(header, ns, "CAISOWSHeader");
    h.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", ns);
    Element token = child(h, ns, "CAISOUsernameToken");
    text(token, ns, "Username", subjectDn);
    text(token, ns, "Nonce", Base64.getEncoder().encodeToString(nonce));
    text(token, ns, "Created", now.toString());
    Element info = child(h, ns, "CAISOMessageInfo");
    text(info, ns, "MessageID", "oms-" + UUID.randomUUID());
    Element ts = child(info, ns, "Timestamp");
    text(ts, ns, "Created", now.toString());
    text(ts, ns, "Expires", now.plus(15, ChronoUnit.MINUTES).toString());
  }

  static Element child(Element parent, String ns, String qname) {
    Element e = parent.getOwnerDocument().createElementNS(ns, qname);
    parent.appendChild(e);
    return e;
  }

  static void text(Element parent, String ns, String name, String value) {
    child(parent, ns, name).setTextContent(value);
  }

  private static byte[] serialize(Document doc) throws Exception {
    Transformer t = TransformerFactory.newInstance().newTransformer();
    t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    t.transform(new DOMSource(doc), new StreamResult(out));
    return out.toByteArray();
  }

  /** WSS4J asks its crypto for the key: this one holds the identity's key in memory. */
  private static final class SigningKey extends CertificateStore {
    private final PrivateKey key;

    SigningKey(X509Certificate certificate, PrivateKey key) {
      super(new X509Certificate[] {certificate});
      this.key = key;
    }

    @Override
    public PrivateKey getPrivateKey(String identifier, String password) {
      return key;
    }

    @Override
    public PrivateKey getPrivateKey(X509Certificate certificate, CallbackHandler handler) {
      return key;
    }
  }
}
