package org.omspush.claimcheck.retrieve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.server.SignedAnswers;
import org.omspush.isosim.state.Documents;
import org.omspush.isosim.state.OutageVersion;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class DocumentAnswerReaderTest {
  private static final long LIMIT = 64L * 1024 * 1024;
  @TempDir static Path dir;
  static DevPki pki;
  static SignedAnswers iso;
  static SignedAnswers impostor;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir.resolve("pki"));
    iso = new SignedAnswers(pki.isoServer().certificate(), pki.isoServer().privateKey());
    impostor = new SignedAnswers(pki.otherParticipantClient().certificate(), pki.otherParticipantClient().privateKey());
  }

  /** Keeps what it is given, in memory; records whether it was kept or thrown away. */
  static final class MemorySink implements DocumentSink {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int writes;
    int largestWrite;
    boolean finished;
    boolean discarded;

    @Override
    public void write(byte[] b, int offset, int length) {
      bytes.write(b, offset, length);
      writes++;
      largestWrite = Math.max(largestWrite, length);
    }

    @Override
    public long finish() {
      finished = true;
      return 42;
    }

    @Override
    public void discard() {
      discarded = true;
    }
  }

  /** A store that fails (the database down) on writing, or only on finishing. */
  static final class FailingSink implements DocumentSink {
    final boolean onWrite;
    boolean discarded;

    FailingSink(boolean onWrite) {
      this.onWrite = onWrite;
    }

    @Override
    public void write(byte[] b, int offset, int length) throws IOException {
      if (onWrite) {
        throw new IOException("connection to the database lost");
      }
    }

    @Override
    public long finish() throws IOException {
      throw new IOException("connection to the database lost");
    }

    @Override
    public void discard() {
      discarded = true;
    }
  }

  /** Counts how much of the answer the reader took. */
  static final class Counted extends FilterInputStream {
    long read;

    Counted(byte[] bytes) {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      read += Math.max(0, n);
      return n;
    }
  }

  static byte[] outage(String mrid, int size) {
    return Documents.outage(new OutageVersion(mrid, "RESOURCE", 3, "APPROVED", "RECEIVED",
        Instant.parse("2026-11-21T17:03:12.345Z"), size));
  }

  static RetrieveAnswer read(DocumentAnswerReader reader, byte[] answer, MemorySink sink) {
    return reader.read(200, "text/xml; charset=utf-8", new ByteArrayInputStream(answer),
        pki.isoServer().certificate(), () -> sink);
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  static Element first(Document answer, String ns, String local) {
    return (Element) answer.getElementsByTagNameNS(ns, local).item(0);
  }

  @Test
  void signed_document_is_streamed_to_the_sink_in_pieces_with_its_hash_size_and_header_fields() throws Exception {
    byte[] document = outage("OUT-STREAM-1", 6 * 1024 * 1024);
    MemorySink sink = new MemorySink();

    RetrieveAnswer answer = read(new DocumentAnswerReader(LIMIT, true), iso.sign(SignedAnswers.attachment(document)),
        sink);

    assertThat(answer).isInstanceOf(RetrieveAnswer.Document.class);
    RetrieveAnswer.Document d = (RetrieveAnswer.Document) answer;
    assertThat(d.payloadId()).isEqualTo(42);
    assertThat(d.size()).isEqualTo(document.length);
    assertThat(d.sha256()).isEqualTo(sha256(document));
    assertThat(d.head().rootName()).isEqualTo("OutageDocument");
    assertThat(d.head().text("outageMRID")).isEqualTo("OUT-STREAM-1");
    assertThat(d.head().text("version")).isEqualTo("3");
    assertThat(d.head().text("status")).isEqualTo("APPROVED");
    assertThat(sink.finished).isTrue();
    assertThat(sink.discarded).isFalse();
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(sink.bytes.toByteArray()))) {
      assertThat(in.readAllBytes()).isEqualTo(document);
    }
    // The attachment came through in many small pieces, never as one text.
    assertThat(sink.writes).isGreaterThan(50);
    assertThat(sink.largestWrite).isLessThan(256 * 1024);
  }

  @Test
  void a_document_the_store_cannot_keep_is_not_stored_not_a_transient_failure_of_the_iso() {
    byte[] answer = iso.sign(SignedAnswers.attachment(outage("OUT-SINK-1", 100_000)));
    for (boolean onWrite : new boolean[] {true, false}) {
      FailingSink sink = new FailingSink(onWrite);

      RetrieveAnswer read = new DocumentAnswerReader(LIMIT, true).read(200, "text/xml",
          new ByteArrayInputStream(answer), pki.isoServer().certificate(), () -> sink);

      assertThat(read).as(onWrite ? "on write" : "on finish")
          .isEqualTo(new RetrieveAnswer.NotStored("the document could not be stored: connection to the database lost"));
      assertThat(sink.discarded).isTrue();
    }
  }

  @Test
  void attachment_hash_mismatch_is_refused_and_what_was_written_is_discarded() {
    MemorySink sink = new MemorySink();

    RetrieveAnswer answer = read(new DocumentAnswerReader(LIMIT, true),
        iso.sign(SignedAnswers.attachmentWithWrongHash(outage("OUT-HASH-1", 200_000))), sink);

    assertThat(answer).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) answer).reason()).contains("attachment hash mismatch");
    assertThat(sink.discarded).isTrue();
    assertThat(sink.finished).isFalse();
  }

  @Test
  void second_attachment_value_is_refused_as_a_duplicate_element() {
    Document answer = SignedAnswers.attachment(outage("OUT-DUP-1", 10_000));
    Element value = first(answer, AnswerReader.ISO_ATTACHMENT, "AttachmentValue");
    value.getParentNode().appendChild(value.cloneNode(true));
    MemorySink sink = new MemorySink();

    RetrieveAnswer read = read(new DocumentAnswerReader(LIMIT, true), iso.sign(answer), sink);

    assertThat(read).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) read).reason()).isEqualTo(
        "the answer has two ISOAttachment/AttachmentValue elements");
    assertThat(sink.discarded).isTrue();
  }

  @Test
  void second_hash_value_is_refused_as_a_duplicate_element() {
    Document answer = SignedAnswers.attachment(outage("OUT-DUP-2", 10_000));
    Element hash = first(answer, AnswerReader.ATTACHMENT_HASH, "hashValue");
    hash.getParentNode().appendChild(hash.cloneNode(true));

    RetrieveAnswer read = read(new DocumentAnswerReader(LIMIT, true), iso.sign(answer), new MemorySink());

    assertThat(read).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) read).reason()).isEqualTo(
        "the answer has two attachmentHash/hashValue elements");
  }

  @Test
  void document_with_two_mrids_is_refused() {
    String xml = new String(outage("OUT-DUP-3", 4096), StandardCharsets.UTF_8)
        .replace("<version>", "<outageMRID>OUT-OTHER</outageMRID>\n  <version>");

    RetrieveAnswer read = read(new DocumentAnswerReader(LIMIT, true),
        iso.sign(SignedAnswers.attachment(xml.getBytes(StandardCharsets.UTF_8))), new MemorySink());

    assertThat(read).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) read).reason()).isEqualTo("the attached document has two outageMRID elements");
  }

  @Test
  void document_over_the_size_limit_is_refused_without_reading_the_whole_answer() {
    byte[] signed = iso.sign(SignedAnswers.attachment(outage("OUT-BIG-1", 12 * 1024 * 1024)));
    Counted body = new Counted(signed);
    MemorySink sink = new MemorySink();

    RetrieveAnswer read = new DocumentAnswerReader(1024 * 1024, true).read(200, "text/xml", body,
        pki.isoServer().certificate(), () -> sink);

    assertThat(read).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) read).reason()).isEqualTo(
        "the attached document is larger than 1048576 bytes uncompressed");
    assertThat(body.read).as("bytes of the answer read").isLessThan(signed.length / 4);
    assertThat(sink.discarded).isTrue();
  }

  @Test
  void body_changed_after_signing_is_refused_by_the_signature_check() {
    byte[] signed = iso.sign(SignedAnswers.attachment(outage("OUT-TAMPER-1", 300_000)));
    String text = new String(signed, StandardCharsets.UTF_8);
    // Whitespace before the value: the attachment stays intact, the signed body does not.
    int at = text.indexOf("<AttachmentValue");
    assertThat(at).isPositive();
    byte[] tampered = (text.substring(0, at) + "\n" + text.substring(at)).getBytes(StandardCharsets.UTF_8);
    MemorySink sink = new MemorySink();

    RetrieveAnswer read = read(new DocumentAnswerReader(LIMIT, true), tampered, sink);

    assertThat(read).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) read).reason()).startsWith("the ISO's answer signature: ");
    assertThat(sink.discarded).isTrue();
    assertThat(read(new DocumentAnswerReader(LIMIT, true), signed, new MemorySink()))
        .as("the same answer untouched").isInstanceOf(RetrieveAnswer.Document.class);
  }

  @Test
  void answer_signed_with_another_key_than_the_iso_servers_is_refused() {
    RetrieveAnswer read = read(new DocumentAnswerReader(LIMIT, true),
        impostor.sign(SignedAnswers.attachment(outage("OUT-IMPOSTOR-1", 10_000))), new MemorySink());

    assertThat(read).isInstanceOf(RetrieveAnswer.Rejected.class);
    assertThat(((RetrieveAnswer.Rejected) read).reason()).startsWith("the ISO's answer signature: ");
  }

  @Test
  void unsigned_answer_is_refused_before_its_body_is_read() {
    byte[] unsigned = SignedAnswers.serialize(SignedAnswers.attachment(outage("OUT-UNSIGNED-1", 4 * 1024 * 1024)));
    Counted body = new Counted(unsigned);
    MemorySink sink = new MemorySink();

    RetrieveAnswer read = new DocumentAnswerReader(LIMIT, true).read(200, "text/xml", body,
        pki.isoServer().certificate(), () -> sink);

    assertThat(read).isEqualTo(new RetrieveAnswer.Rejected("the ISO's answer is not signed"));
    assertThat(body.read).isLessThan(unsigned.length / 4);
    assertThat(sink.writes).isZero();
  }

  @Test
  void answer_with_a_dtd_is_refused() {
    String signed = new String(iso.sign(SignedAnswers.attachment(outage("OUT-DTD-1", 4096))), StandardCharsets.UTF_8);
    int root = signed.indexOf("<soap:Envelope");
    assertThat(root).isNotNegative();
    byte[] withDtd = (signed.substring(0, root) + "<!DOCTYPE soap:Envelope [<!ENTITY lol \"lol\">]>"
        + signed.substring(root)).getBytes(StandardCharsets.UTF_8);
    MemorySink sink = new MemorySink();

    RetrieveAnswer read = read(new DocumentAnswerReader(LIMIT, true), withDtd, sink);

    assertThat(read).isEqualTo(new RetrieveAnswer.Rejected("the answer has a DTD, which the contract forbids"));
    assertThat(sink.writes).isZero();
  }

  @Test
  void signed_fault_is_a_fault_with_its_description() {
    RetrieveAnswer read = new DocumentAnswerReader(LIMIT, true).read(503, "text/xml",
        new ByteArrayInputStream(iso.sign(SignedAnswers.unavailableFault())), pki.isoServer().certificate(),
        MemorySink::new);

    assertThat(read).isInstanceOf(RetrieveAnswer.Fault.class);
    assertThat(((RetrieveAnswer.Fault) read).httpStatus()).isEqualTo(503);
    assertThat(((RetrieveAnswer.Fault) read).description()).isNotBlank();
  }

  @Test
  void a_fault_with_two_faultcodes_faultstrings_or_descriptions_is_refused_not_read_as_the_first() {
    String[][] cases = {{null, "faultcode", "soap:Fault/faultcode"}, {null, "faultstring", "soap:Fault/faultstring"},
        {org.omspush.claimcheck.push.Ns.STANDARD_OUTPUT, "description", "soap:Fault description"}};
    for (String[] c : cases) {
      Document fault = SignedAnswers.unavailableFault();
      Element once = (Element) (c[0] == null ? fault.getElementsByTagName(c[1])
          : fault.getElementsByTagNameNS(c[0], c[1])).item(0);
      Element second = (Element) once.cloneNode(true);
      second.setTextContent("soap:Client");
      once.getParentNode().insertBefore(second, once.getNextSibling());

      RetrieveAnswer read = new DocumentAnswerReader(LIMIT, true).read(503, "text/xml",
          new ByteArrayInputStream(iso.sign(fault)), pki.isoServer().certificate(), MemorySink::new);

      assertThat(read).as(c[1]).isEqualTo(new RetrieveAnswer.Rejected("the answer has two " + c[2] + " elements"));
    }
  }

  @Test
  void aup_page_and_answers_that_are_not_xml_are_told_apart_by_status() {
    DocumentAnswerReader reader = new DocumentAnswerReader(LIMIT, true);
    byte[] page = ("<html><body><p>CAISO Acceptable Use Policy Violation. Please retry your request after 5 seconds."
        + "</p></body></html>").getBytes(StandardCharsets.UTF_8);
    byte[] junk = "Service Unavailable".getBytes(StandardCharsets.UTF_8);

    assertThat(reader.read(429, "text/html", new ByteArrayInputStream(page), null, MemorySink::new))
        .isEqualTo(new RetrieveAnswer.AupPage(429));
    assertThat(reader.read(503, "text/plain", new ByteArrayInputStream(junk), pki.isoServer().certificate(),
        MemorySink::new)).isInstanceOf(RetrieveAnswer.Transient.class);
    assertThat(reader.read(200, "text/xml", new ByteArrayInputStream(junk), pki.isoServer().certificate(),
        MemorySink::new)).isInstanceOf(RetrieveAnswer.Rejected.class);
  }
}
