package org.omspush.isosim.server;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.w3c.dom.Document;

/**
 * The retrieve services' answers as the stand-in builds and signs them, without a server: for
 * tests of a reader, which may change an answer before it is signed (or after, to tamper with it).
 * Blocking CPU work.
 */
public final class SignedAnswers {
  private final AnswerSigner signer;

  /** Signs as the ISO server with this certificate and key. */
  public SignedAnswers(X509Certificate certificate, PrivateKey key) {
    AnswerSigner.init();
    this.signer = new AnswerSigner(certificate, key);
  }

  /** The attachment answer carrying this document (gzip, base64, its hash in the header), not signed. */
  public static Document attachment(byte[] document) {
    return Answers.attachment(Attachment.of(document));
  }

  /** The same with an attachmentHash that does not match the attachment. */
  public static Document attachmentWithWrongHash(byte[] document) {
    return Answers.attachment(Attachment.of(document).withWrongHash());
  }

  /** A fault answer whose StandardOutput description says this. */
  public static Document unavailableFault() {
    return Answers.fault(RetrieveFault.unavailable());
  }

  /** Signs the answer (a wsse:Security header over soap:Body) and serializes it. */
  public byte[] sign(Document answer) {
    signer.sign(answer);
    return serialize(answer);
  }

  public static byte[] serialize(Document answer) {
    return Dom.serialize(answer, 8192);
  }
}
