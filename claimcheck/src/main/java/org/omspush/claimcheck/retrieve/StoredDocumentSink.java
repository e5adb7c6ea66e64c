package org.omspush.claimcheck.retrieve;

import static org.omspush.store.Blocking.await;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import org.omspush.store.PayloadStore;

/**
 * Writes a document's gzip into a new payload in chunks of {@value #CHUNK_BYTES} bytes, each
 * chunk one statement on its own (no transaction spans the ISO's answer). Blocking: the worker
 * thread waits for each statement, which is the back-pressure from the database to the socket.
 */
final class StoredDocumentSink implements DocumentSink {
  static final int CHUNK_BYTES = 512 * 1024;

  private final PayloadStore payloads;
  private final byte[] chunk = new byte[CHUNK_BYTES];
  private int filled;
  private int seq;
  private Long payloadId;

  StoredDocumentSink(PayloadStore payloads) {
    this.payloads = payloads;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    while (length > 0) {
      int n = Math.min(length, CHUNK_BYTES - filled);
      System.arraycopy(bytes, offset, chunk, filled, n);
      filled += n;
      offset += n;
      length -= n;
      if (filled == CHUNK_BYTES) {
        flush();
      }
    }
  }

  private void flush() throws IOException {
    if (payloadId == null) {
      payloadId = await(payloads.begin());
    }
    await(payloads.append(payloadId, seq, Buffer.buffer(java.util.Arrays.copyOf(chunk, filled))));
    seq++;
    filled = 0;
  }

  @Override
  public long finish() throws IOException {
    if (filled > 0 || payloadId == null) {
      flush();
    }
    return payloadId;
  }

  @Override
  public void discard() {
    if (payloadId != null) {
      try {
        await(payloads.discard(payloadId));
      } catch (IOException e) {
        // Nothing refers to it: retention deletes it once it is older than OMS_RETENTION_EVENTS.
      }
    }
  }
}
