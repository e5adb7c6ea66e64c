package org.omspush.claimcheck.retrieve;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import javax.xml.namespace.QName;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.xml.security.exceptions.XMLSecurityException;
import org.apache.xml.security.stax.ext.XMLSec;
import org.apache.xml.security.stax.ext.XMLSecurityProperties;
import org.apache.xml.security.stax.securityEvent.AlgorithmSuiteSecurityEvent;
import org.apache.xml.security.stax.securityEvent.SignedElementSecurityEvent;
import org.omspush.claimcheck.push.Ns;

/**
 * Reads the ISO's answer to a claim-check retrieve as it streams in, in one pass and in bounded
 * memory whatever the document's size: the AUP page; the SOAP envelope, its signature checked by
 * Santuario's StAX API (no DOM) with the ISO server's key; its Fault; or its attachment, whose
 * base64 text is hashed (SHA-1, {@code attachmentHash}) and decoded piece by piece, the gzip bytes
 * written to a {@link DocumentSink} as they come, and the document gunzipped on the fly to hash it
 * (SHA-256), count it against the size limit and read its header fields with StAX. An element the
 * contract allows once that comes twice is refused, as in a push. Blocking: call it on a worker
 * thread, with the answer as an {@link InputStream}.
 */
public final class DocumentAnswerReader {
  /** Everything before soap:Body (the signature is buffered until it is checked) is small. */
  static final long MAX_HEAD_BYTES = 1024 * 1024;
  private static final int MAX_TEXT_CHARS = 8 * 1024;
  private static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
  private static final QName ENVELOPE = new QName(Ns.SOAP11, "Envelope");
  private static final QName BODY = new QName(Ns.SOAP11, "Body");
  private static final QName HEADER = new QName(Ns.SOAP11, "Header");
  private static final QName SECURITY = new QName(Ns.WSSE, "Security");
  private static final QName SIGNATURE = new QName(Ns.DSIG, "Signature");
  private static final QName FAULT = new QName(Ns.SOAP11, "Fault");
  private static final QName ISO_ATTACHMENT = new QName(AnswerReader.ISO_ATTACHMENT, "ISOAttachment");
  private static final QName ATTACHMENT_VALUE = new QName(AnswerReader.ISO_ATTACHMENT, "AttachmentValue");
  private static final QName HASH_VALUE = new QName(AnswerReader.ATTACHMENT_HASH, "hashValue");
  /** The contract's algorithms (RSA-SHA256 or RSA-SHA1, SHA-256 or SHA-1 digests, exclusive C14N). */
  private static final Set<String> ALGORITHMS = Set.of(
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
      "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1",
      "http://www.w3.org/2001/10/xml-exc-c14n#");
  private static final int MIN_KEY_BITS = 2048;

  static {
    // Santuario's one-time set-up (algorithms, resolvers), at class load rather than on the first answer.
    org.apache.xml.security.Init.init();
  }

  private final long maxPayloadBytes;
  private final boolean requireSignature;
  private final XMLInputFactory factory;

  public DocumentAnswerReader(long maxPayloadBytes, boolean requireSignature) {
    this.maxPayloadBytes = maxPayloadBytes;
    this.requireSignature = requireSignature;
    this.factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
    // Long text (the attachment) comes in pieces, never as one string.
    factory.setProperty(XMLInputFactory.IS_COALESCING, false);
  }

  /** Why reading stopped with an answer other than a document. */
  private static final class Verdict extends Exception {
    final RetrieveAnswer answer;

    Verdict(RetrieveAnswer answer) {
      super(null, null, false, false);
      this.answer = answer;
    }
  }

  /** Where the answer's state is kept while it streams by. */
  private final class Reading {
    final int status;
    final X509Certificate isoServer;
    final Supplier<DocumentSink> sinks;
    final CountingInput input;
    final List<QName> path = new ArrayList<>();
    final List<List<QName>> signedPaths = new ArrayList<>();
    final List<String> refusedAlgorithms = new ArrayList<>();
    boolean sawEnvelope;
    boolean sawHeader;
    boolean sawBody;
    boolean sawSecurity;
    boolean sawSignature;
    boolean sawFault;
    boolean sawAttachment;
    boolean sawValue;
    boolean sawFaultCode;
    boolean sawFaultString;
    boolean sawDescription;
    String hashValue;
    StringBuilder text;
    int textDepth;
    String faultCode;
    String faultString;
    String faultDescription;
    DocumentSink sink;
    Attached attached;

    Reading(int status, X509Certificate isoServer, InputStream body, Supplier<DocumentSink> sinks) {
      this.status = status;
      this.isoServer = isoServer;
      this.sinks = sinks;
      this.input = new CountingInput(body);
    }
  }

  /** What the attachment turned out to be. */
  private record Attached(DocumentHead head, long size, String sha256, String hashOfText) {}

  /**
   * @param sinks a new sink for the document's gzip, asked for only when an attachment starts
   */
  public RetrieveAnswer read(int status, String contentType, InputStream body, X509Certificate isoServer,
      Supplier<DocumentSink> sinks) {
    if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/html")) {
      return htmlAnswer(status, body);
    }
    Reading r = new Reading(status, isoServer, body, sinks);
    try {
      RetrieveAnswer answer = readEnvelope(r);
      if (!(answer instanceof RetrieveAnswer.Document) && r.sink != null) {
        r.sink.discard();
      }
      return answer;
    } catch (Verdict v) {
      if (r.sink != null) {
        r.sink.discard();
      }
      return v.answer;
    } catch (RuntimeException | Error e) {
      if (r.sink != null) {
        r.sink.discard();
      }
      throw e;
    }
  }

  private static RetrieveAnswer htmlAnswer(int status, InputStream body) {
    byte[] start;
    try {
      start = body.readNBytes(4096);
    } catch (IOException e) {
      return new RetrieveAnswer.Transient("the answer was cut off: " + e.getMessage());
    }
    if (AnswerReader.isAupPage("text/html", start)) {
      return new RetrieveAnswer.AupPage(status);
    }
    return AnswerReader.notXml(status, "an HTML page");
  }

  private RetrieveAnswer readEnvelope(Reading r) throws Verdict {
    XMLStreamReader reader = null;
    try {
      reader = open(r);
      while (reader.hasNext()) {
        int event = reader.next();
        if (!r.sawBody && r.input.count > MAX_HEAD_BYTES) {
          throw new Verdict(new RetrieveAnswer.Rejected("the answer has more than " + MAX_HEAD_BYTES
              + " bytes before soap:Body"));
        }
        switch (event) {
          case XMLStreamConstants.DTD -> throw new Verdict(new RetrieveAnswer.Rejected(
              "the answer has a DTD, which the contract forbids"));
          case XMLStreamConstants.START_ELEMENT -> started(r, reader);
          case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
            if (r.text != null && r.text.length() < MAX_TEXT_CHARS) {
              r.text.append(reader.getTextCharacters(), reader.getTextStart(),
                  Math.min(reader.getTextLength(), MAX_TEXT_CHARS - r.text.length()));
            }
          }
          case XMLStreamConstants.END_ELEMENT -> ended(r);
          default -> { }
        }
      }
    } catch (XMLStreamException | IOException e) {
      return failure(r, e);
    } finally {
      closeQuietly(reader);
    }
    return outcome(r);
  }

  private XMLStreamReader open(Reading r) throws XMLStreamException, Verdict {
    XMLStreamReader raw = factory.createXMLStreamReader(r.input);
    if (!requireSignature) {
      return raw;
    }
    if (r.isoServer == null) {
      throw new Verdict(new RetrieveAnswer.Rejected("no ISO server certificate to check the answer's signature with"));
    }
    XMLSecurityProperties properties = new XMLSecurityProperties();
    properties.setSignatureVerificationKey(r.isoServer.getPublicKey());
    properties.setIdAttributeNS(new QName(WSU, "Id"));
    try {
      return XMLSec.getInboundWSSec(properties).processInMessage(raw, null, event -> {
        if (event instanceof SignedElementSecurityEvent signed && signed.isSigned()) {
          r.signedPaths.add(List.copyOf(signed.getElementPath()));
        } else if (event instanceof AlgorithmSuiteSecurityEvent algorithm) {
          boolean allowed = ALGORITHMS.contains(algorithm.getAlgorithmURI())
              && (algorithm.getKeyLength() == 0 || algorithm.getKeyLength() >= MIN_KEY_BITS);
          if (!allowed) {
            r.refusedAlgorithms.add(algorithm.getAlgorithmURI());
          }
        }
      });
    } catch (XMLSecurityException e) {
      throw new XMLStreamException(e);
    }
  }

  private void started(Reading r, XMLStreamReader reader) throws Verdict, XMLStreamException, IOException {
    QName name = reader.getName();
    List<QName> path = r.path;
    int depth = path.size();
    path.add(name);
    if (depth == 0) {
      if (!ENVELOPE.equals(name)) {
        throw new Verdict(AnswerReader.notSoap(r.status));
      }
      r.sawEnvelope = true;
      return;
    }
    if (depth == 1) {
      if (HEADER.equals(name)) {
        r.sawHeader = once(r.sawHeader, "soap:Header");
      } else if (BODY.equals(name)) {
        r.sawBody = once(r.sawBody, "soap:Body");
        if (!r.sawSignature && requireSignature) {
          // Santuario would keep every event until a signature came: stop here instead.
          throw new Verdict(AnswerReader.unsigned(r.status));
        }
      }
      return;
    }
    if (HEADER.equals(path.get(1))) {
      if (depth == 2 && SECURITY.equals(name)) {
        r.sawSecurity = once(r.sawSecurity, "wsse:Security");
      } else if (depth == 3 && SIGNATURE.equals(name) && SECURITY.equals(path.get(2))) {
        r.sawSignature = once(r.sawSignature, "ds:Signature");
      } else if (HASH_VALUE.equals(name)) {
        if (r.hashValue != null || r.text != null) {
          throw duplicate("attachmentHash/hashValue");
        }
        collect(r);
      }
      return;
    }
    if (!BODY.equals(path.get(1))) {
      return;
    }
    if (depth == 2) {
      if (FAULT.equals(name)) {
        r.sawFault = once(r.sawFault, "soap:Fault");
      } else if (ISO_ATTACHMENT.equals(name)) {
        r.sawAttachment = once(r.sawAttachment, "ISOAttachment");
      }
      return;
    }
    if (FAULT.equals(path.get(2))) {
      boolean wanted = true;
      if (depth == 3 && "faultcode".equals(name.getLocalPart())) {
        r.sawFaultCode = once(r.sawFaultCode, "soap:Fault/faultcode");
      } else if (depth == 3 && "faultstring".equals(name.getLocalPart())) {
        r.sawFaultString = once(r.sawFaultString, "soap:Fault/faultstring");
      } else if (Ns.STANDARD_OUTPUT.equals(name.getNamespaceURI()) && "description".equals(name.getLocalPart())) {
        r.sawDescription = once(r.sawDescription, "soap:Fault description");
      } else {
        wanted = false;
      }
      if (wanted && r.text == null) {
        collect(r);
      }
      return;
    }
    if (ISO_ATTACHMENT.equals(path.get(2)) && ATTACHMENT_VALUE.equals(name)) {
      r.sawValue = once(r.sawValue, "ISOAttachment/AttachmentValue");
      r.attached = attachment(r, reader);
      path.remove(path.size() - 1);
    }
  }

  /** Collects the text of the element just started, up to its end. */
  private static void collect(Reading r) {
    r.text = new StringBuilder();
    r.textDepth = r.path.size();
  }

  private void ended(Reading r) {
    int depth = r.path.size();
    QName name = r.path.remove(depth - 1);
    if (r.text == null || depth != r.textDepth) {
      return;
    }
    String value = r.text.toString().strip();
    r.text = null;
    if (HASH_VALUE.equals(name)) {
      r.hashValue = value;
    } else if ("faultcode".equals(name.getLocalPart())) {
      r.faultCode = value;
    } else if ("faultstring".equals(name.getLocalPart())) {
      r.faultString = value;
    } else {
      r.faultDescription = value;
    }
  }

  private static boolean once(boolean seen, String what) throws Verdict {
    if (seen) {
      throw duplicate(what);
    }
    return true;
  }

  private static Verdict duplicate(String what) {
    return new Verdict(new RetrieveAnswer.Rejected("the answer has two " + what + " elements"));
  }

  /**
   * Streams AttachmentValue's text, up to its end element: SHA-1 over the text, base64 decoded,
   * the gzip to the sink, gunzipped into the document's own StAX reading.
   */
  private Attached attachment(Reading r, XMLStreamReader outer) throws Verdict, XMLStreamException, IOException {
    if (r.hashValue == null) {
      throw new Verdict(new RetrieveAnswer.Rejected("the answer has no attachmentHash/hashValue before its body"));
    }
    r.sink = r.sinks.get();
    AttachmentText text = new AttachmentText(outer, r.sink);
    UncompressedCount counted = null;
    DocumentHead head;
    try {
      counted = new UncompressedCount(new GZIPInputStream(text, 64 * 1024), maxPayloadBytes);
      head = head(counted);
      counted.transferTo(java.io.OutputStream.nullOutputStream());
      text.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (IOException | XMLStreamException e) {
      AttachmentText.OuterFailure outerFailure = causeOf(e, AttachmentText.OuterFailure.class);
      if (outerFailure != null) {
        throw outerFailure.cause;
      }
      AttachmentText.SinkFailure sinkFailure = causeOf(e, AttachmentText.SinkFailure.class);
      if (sinkFailure != null) {
        throw new Verdict(new RetrieveAnswer.NotStored("the document could not be stored: "
            + sinkFailure.getCause().getMessage()));
      }
      if (causeOf(e, UncompressedCount.TooLarge.class) != null) {
        throw new Verdict(new RetrieveAnswer.Rejected("the attached document is larger than " + maxPayloadBytes
            + " bytes uncompressed"));
      }
      if (causeOf(e, AttachmentText.NotBase64.class) != null) {
        throw new Verdict(new RetrieveAnswer.Rejected("the attachment is not base64"));
      }
      if (causeOf(e, ZipException.class) != null || causeOf(e, java.io.EOFException.class) != null) {
        throw new Verdict(new RetrieveAnswer.Rejected("the attachment is not gzip: " + firstLine(e.getMessage())));
      }
      throw new Verdict(new RetrieveAnswer.Rejected("the attached document is not well-formed XML: "
          + firstLine(e.getMessage())));
    }
    return new Attached(head, counted.count, HexFormat.of().formatHex(counted.sha256.digest()),
        Base64.getEncoder().encodeToString(text.sha1.digest()));
  }

  /** The document's root and the header fields among its children; the whole document is read. */
  private DocumentHead head(InputStream xml) throws XMLStreamException, Verdict {
    XMLStreamReader reader = factory.createXMLStreamReader(xml);
    try {
      String ns = null;
      String root = null;
      Map<String, String> fields = new HashMap<>();
      int depth = 0;
      String field = null;
      StringBuilder text = null;
      while (reader.hasNext()) {
        switch (reader.next()) {
          case XMLStreamConstants.DTD -> throw new Verdict(new RetrieveAnswer.Rejected(
              "the attached document has a DTD, which the contract forbids"));
          case XMLStreamConstants.START_ELEMENT -> {
            depth++;
            if (depth == 1) {
              ns = reader.getNamespaceURI();
              root = reader.getLocalName();
            } else if (depth == 2 && Ns.OMS_PUSH_V1.equals(reader.getNamespaceURI())
                && DocumentHead.FIELD_NAMES.contains(reader.getLocalName())) {
              field = reader.getLocalName();
              if (fields.containsKey(field)) {
                throw new Verdict(new RetrieveAnswer.Rejected("the attached document has two " + field + " elements"));
              }
              text = new StringBuilder();
            } else if (depth > 2 && field != null) {
              throw new Verdict(new RetrieveAnswer.Rejected("the attached document's " + field + " holds markup"));
            }
          }
          case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
            if (text != null && text.length() < MAX_TEXT_CHARS) {
              text.append(reader.getTextCharacters(), reader.getTextStart(),
                  Math.min(reader.getTextLength(), MAX_TEXT_CHARS - text.length()));
            }
          }
          case XMLStreamConstants.END_ELEMENT -> {
            if (depth == 2 && field != null) {
              fields.put(field, text.toString());
              field = null;
              text = null;
            }
            depth--;
          }
          default -> { }
        }
      }
      return new DocumentHead(ns == null ? "" : ns, root, fields);
    } finally {
      reader.close();
    }
  }

  private RetrieveAnswer failure(Reading r, Exception e) {
    ResponseInput.Interrupted cut = causeOf(e, ResponseInput.Interrupted.class);
    if (cut != null) {
      return cut.overLimit ? new RetrieveAnswer.Rejected(cut.getMessage())
          : new RetrieveAnswer.Transient(cut.getMessage());
    }
    XMLSecurityException security = causeOf(e, XMLSecurityException.class);
    if (security != null) {
      return new RetrieveAnswer.Rejected("the ISO's answer signature: " + firstLine(security.getMessage()));
    }
    if (!r.sawEnvelope) {
      return AnswerReader.notXml(r.status, firstLine(e.getMessage()));
    }
    return r.status >= 500 ? new RetrieveAnswer.Transient("HTTP " + r.status + ", the answer is not well-formed XML")
        : new RetrieveAnswer.Rejected("the answer is not well-formed XML: " + firstLine(e.getMessage()));
  }

  private RetrieveAnswer outcome(Reading r) throws Verdict {
    if (!r.sawEnvelope || !r.sawBody) {
      return r.sawEnvelope ? AnswerReader.notSoap(r.status) : AnswerReader.notXml(r.status, "no root element");
    }
    if (requireSignature) {
      if (!r.refusedAlgorithms.isEmpty()) {
        return new RetrieveAnswer.Rejected("the ISO's answer signature uses algorithms the contract does not allow: "
            + r.refusedAlgorithms);
      }
      if (!r.signedPaths.contains(List.of(ENVELOPE, BODY))) {
        return new RetrieveAnswer.Rejected("the ISO's answer signature does not cover soap:Body");
      }
    }
    if (r.sawFault) {
      String description = r.faultDescription != null && !r.faultDescription.isBlank() ? r.faultDescription
          : r.faultString != null ? r.faultString : "SOAP Fault without a description";
      return AnswerReader.fault(r.status, r.faultCode, description);
    }
    RetrieveAnswer noFault = AnswerReader.withoutFault(r.status);
    if (noFault != null) {
      return noFault;
    }
    if (r.attached == null) {
      return new RetrieveAnswer.Rejected("the answer holds no ISOAttachment/AttachmentValue");
    }
    if (!r.attached.hashOfText().equals(r.hashValue)) {
      return new RetrieveAnswer.Rejected("attachment hash mismatch: the payload is corrupt (expected " + r.hashValue
          + ", computed " + r.attached.hashOfText() + ")");
    }
    long payloadId;
    try {
      payloadId = r.sink.finish();
    } catch (IOException e) {
      return new RetrieveAnswer.NotStored("the document could not be stored: " + e.getMessage());
    }
    return new RetrieveAnswer.Document(r.attached.head(), payloadId, r.attached.size(), r.attached.sha256());
  }

  private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static void closeQuietly(XMLStreamReader reader) {
    if (reader != null) {
      try {
        reader.close();
      } catch (XMLStreamException | RuntimeException ignored) {
        // nothing held that is not also dropped with the reader
      }
    }
  }

  /** Counts what the parser read, to bound what comes before the body. */
  private static final class CountingInput extends java.io.FilterInputStream {
    long count;

    CountingInput(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  /**
   * AttachmentValue's text as the gzip bytes it encodes: pulls the outer reader's text events
   * until the element ends, hashes the text as sent (SHA-1) and decodes it four characters at a
   * time, passing every decoded byte to the sink too.
   */
  private static final class AttachmentText extends InputStream {
    /** The envelope's reading failed while the attachment was read: not the document's fault. */
    static final class OuterFailure extends IOException {
      final XMLStreamException cause;

      OuterFailure(XMLStreamException cause) {
        super(cause);
        this.cause = cause;
      }
    }

    /** The sink could not keep what was decoded (the database): not the ISO's fault. */
    static final class SinkFailure extends IOException {
      SinkFailure(IOException cause) {
        super(cause);
      }
    }

    static final class NotBase64 extends IOException {
      NotBase64() {
        super("not base64");
      }
    }

    final MessageDigest sha1 = digest("SHA-1");
    private final XMLStreamReader outer;
    private final DocumentSink sink;
    private final byte[] carry = new byte[4];
    private int carried;
    private byte[] decoded = new byte[0];
    private int position;
    private boolean done;

    AttachmentText(XMLStreamReader outer, DocumentSink sink) {
      this.outer = outer;
      this.sink = sink;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      while (position == decoded.length) {
        if (done) {
          return -1;
        }
        fill();
      }
      int n = Math.min(length, decoded.length - position);
      System.arraycopy(decoded, position, into, offset, n);
      position += n;
      return n;
    }

    private void fill() throws IOException {
      try {
        int event = outer.next();
        switch (event) {
          case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
              decode(outer.getTextCharacters(), outer.getTextStart(), outer.getTextLength());
          case XMLStreamConstants.END_ELEMENT -> finish();
          case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> { }
          default -> throw new NotBase64();
        }
      } catch (XMLStreamException e) {
        throw new OuterFailure(e);
      }
    }

    private void decode(char[] chars, int start, int length) throws IOException {
      byte[] ascii = new byte[carried + length];
      System.arraycopy(carry, 0, ascii, 0, carried);
      int n = carried;
      byte[] hashed = new byte[length];
      for (int i = 0; i < length; i++) {
        char c = chars[start + i];
        if (c > 0x7f) {
          throw new NotBase64();
        }
        hashed[i] = (byte) c;
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
          ascii[n++] = (byte) c;
        }
      }
      sha1.update(hashed);
      int whole = n - n % 4;
      carried = n - whole;
      System.arraycopy(ascii, whole, carry, 0, carried);
      emit(ascii, whole);
    }

    private void finish() throws IOException {
      done = true;
      emit(carry, carried);
      carried = 0;
    }

    private void emit(byte[] base64, int length) throws IOException {
      try {
        decoded = Base64.getDecoder().decode(length == base64.length ? base64 : java.util.Arrays.copyOf(base64, length));
      } catch (IllegalArgumentException e) {
        throw new NotBase64();
      }
      position = 0;
      if (decoded.length > 0) {
        try {
          sink.write(decoded, 0, decoded.length);
        } catch (IOException e) {
          throw new SinkFailure(e);
        }
      }
    }
  }

  /** The uncompressed document: counted against the limit (refused before it is read further) and hashed. */
  private static final class UncompressedCount extends java.io.FilterInputStream {
    static final class TooLarge extends IOException {
      TooLarge() {
        super("too large");
      }
    }

    final MessageDigest sha256 = digest("SHA-256");
    private final long max;
    long count;

    UncompressedCount(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
        if (count > max) {
          throw new TooLarge();
        }
        sha256.update(b, off, n);
      }
      return n;
    }
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
