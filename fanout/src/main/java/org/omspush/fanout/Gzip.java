package org.omspush.fanout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/** Payloads are stored gzipped; subscribers get the bytes as they were. CPU work: call from a worker thread. */
final class Gzip {
  private Gzip() {}

  static byte[] gunzip(byte[] gz) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 16 * 1024)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("a stored payload is not valid gzip", e);
    }
  }
}
