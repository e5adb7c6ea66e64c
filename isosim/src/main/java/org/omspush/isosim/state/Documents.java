package org.omspush.isosim.state;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The full documents behind the claim checks: {@code OutageDocument} and
 * {@code MarketEventDocument} in {@code urn:omspush:v1}, UTF-8 with an XML declaration. The
 * known fields come first, then a {@code detail} element of opaque filler (lines of words from a
 * seeded generator, so it compresses like text, not like a run of one letter) that brings the
 * document to exactly the record's {@code documentSize} bytes. A size smaller than the fields
 * themselves gives the document without filler. The same record always gives the same bytes.
 *
 * <p>CPU work proportional to the size: call off the event loop.
 */
public final class Documents {

  public static final String NS = "urn:omspush:v1";

  private static final String DECLARATION = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  private static final String DETAIL_OPEN = "<detail>\n";
  private static final String DETAIL_CLOSE = "</detail>\n";
  private static final String LINE_OPEN = "<line>";
  private static final String LINE_CLOSE = "</line>\n";
  private static final int LINE_MARKUP = LINE_OPEN.length() + LINE_CLOSE.length();
  private static final int LINE_TEXT = 96;
  private static final String[] WORDS = {
      "breaker", "line", "bus", "transformer", "derate", "forced", "planned", "switching",
      "relay", "maintenance", "capacity", "MW", "kV", "substation", "feeder", "crew",
      "inspection", "return", "to", "service", "partial", "clearance", "equipment", "unit",
      "outage", "window", "extended", "approved", "pending", "operator", "notes", "phase",
      "A", "B", "C", "north", "south", "east", "west", "path", "limit", "ramp", "generator",
      "tie", "reactor", "capacitor", "bank", "isolated", "energized", "test", "scheduled"};

  private Documents() {}

  /** The {@code OutageDocument} of this version. */
  public static byte[] outage(OutageVersion version) {
    StringBuilder head = new StringBuilder(512)
        .append(DECLARATION)
        .append("<OutageDocument xmlns=\"").append(NS).append("\">\n");
    field(head, "outageMRID", version.outageMRID());
    field(head, "outageType", version.outageType());
    field(head, "version", Long.toString(version.version()));
    field(head, "status", version.status());
    field(head, "lastModified", version.lastModified().toString());
    long seed = version.outageMRID().hashCode() * 31L + version.version();
    return withDetail(head, "</OutageDocument>\n", version.documentSize(), seed);
  }

  /** The {@code MarketEventDocument} of this event. */
  public static byte[] marketEvent(MarketEventEntry event) {
    StringBuilder head = new StringBuilder(512)
        .append(DECLARATION)
        .append("<MarketEventDocument xmlns=\"").append(NS).append("\">\n");
    field(head, "eventId", event.eventId());
    field(head, "eventType", event.eventType());
    field(head, "market", event.market());
    field(head, "tradeDate", event.tradeDate().toString());
    field(head, "eventTime", event.eventTime().toString());
    return withDetail(head, "</MarketEventDocument>\n", event.documentSize(),
        event.eventId().hashCode());
  }

  private static byte[] withDetail(StringBuilder head, String close, int size, long seed) {
    byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
    int fixed = headBytes.length + DETAIL_OPEN.length() + DETAIL_CLOSE.length() + close.length();
    int filler = Math.max(0, size - fixed);
    StringBuilder body = new StringBuilder(filler + fixed - headBytes.length);
    body.append(DETAIL_OPEN);
    appendFiller(body, filler, new SplittableRandom(seed));
    body.append(DETAIL_CLOSE).append(close);
    byte[] tail = body.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] document = new byte[headBytes.length + tail.length];
    System.arraycopy(headBytes, 0, document, 0, headBytes.length);
    System.arraycopy(tail, 0, document, headBytes.length, tail.length);
    return document;
  }

  /** Exactly {@code chars} ASCII characters of lines; a remainder too short for a line is blanks. */
  private static void appendFiller(StringBuilder out, int chars, SplittableRandom random) {
    int left = chars;
    while (left >= LINE_MARKUP + 1) {
      int text = Math.min(LINE_TEXT, left - LINE_MARKUP);
      if (left - LINE_MARKUP - text < LINE_MARKUP + 1 && left - LINE_MARKUP - text > 0) {
        text = left - LINE_MARKUP; // the last line takes what is left
      }
      out.append(LINE_OPEN);
      appendWords(out, text, random);
      out.append(LINE_CLOSE);
      left -= LINE_MARKUP + text;
    }
    out.append(" ".repeat(left));
  }

  private static void appendWords(StringBuilder out, int chars, SplittableRandom random) {
    int end = out.length() + chars;
    while (out.length() < end) {
      String word = WORDS[random.nextInt(WORDS.length)];
      int room = end - out.length();
      if (word.length() + 1 <= room) {
        out.append(word).append(' ');
      } else {
        out.append("x".repeat(room));
      }
    }
  }

  private static void field(StringBuilder out, String name, String value) {
    out.append("  <").append(name).append('>').append(escape(value))
        .append("</").append(name).append(">\n");
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
