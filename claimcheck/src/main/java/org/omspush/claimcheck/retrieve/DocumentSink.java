package org.omspush.claimcheck.retrieve;

import java.io.IOException;

/**
 * Where a document's gzip bytes go, in order, while its answer is still being read and checked.
 * Kept with {@link #finish()} once the whole answer checked out, thrown away with
 * {@link #discard()} otherwise. Blocking: called on the worker thread that reads the answer.
 */
public interface DocumentSink {

  void write(byte[] bytes, int offset, int length) throws IOException;

  /** Everything is written. @return the id of the stored payload, not yet complete (no size or hash) */
  long finish() throws IOException;

  /** Forgets what was written; never throws. */
  void discard();
}
