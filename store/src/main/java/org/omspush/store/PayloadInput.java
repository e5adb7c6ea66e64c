package org.omspush.store;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A complete payload's gzip as a blocking stream, read one piece at a time: for a worker thread.
 */
public final class PayloadInput extends InputStream {
  private final PayloadStore payloads;
  private final PayloadStore.Described payload;
  private int nextPiece;
  private Buffer current;
  private int position;

  public PayloadInput(PayloadStore payloads, PayloadStore.Described payload) {
    this.payloads = payloads;
    this.payload = payload;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (current == null || position == current.length()) {
      if (nextPiece >= payload.pieces()) {
        return -1;
      }
      List<Buffer> pieces = Blocking.await(payloads.pieces(payload.id(), nextPiece, 1));
      if (pieces.isEmpty()) {
        throw new IOException("payload " + payload.id() + " lost piece " + nextPiece + " while it was read");
      }
      current = pieces.get(0);
      position = 0;
      nextPiece++;
    }
    int n = Math.min(length, current.length() - position);
    current.getBytes(position, position + n, into, offset);
    position += n;
    return n;
  }
}
