package org.omspush.claimcheck.retrieve;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * An HTTP answer's body as a blocking {@link InputStream} for a worker thread, with
 * back-pressure: the socket is paused while more than {@value #HIGH_WATER} bytes wait to be read,
 * and resumed below {@value #LOW_WATER}. Create it on the event loop as the answer's head arrives.
 */
final class ResponseInput extends InputStream {
  static final int HIGH_WATER = 512 * 1024;
  static final int LOW_WATER = 128 * 1024;

  /** The answer ended early: the connection broke, timed out, or was over the limit. */
  static final class Interrupted extends IOException {
    final boolean overLimit;

    Interrupted(String message, boolean overLimit, Throwable cause) {
      super(message, cause);
      this.overLimit = overLimit;
    }
  }

  private final HttpClientResponse response;
  private final Context context;
  private final long maxBytes;
  private final long stallNanos;
  private final Deque<Buffer> queue = new ArrayDeque<>();
  private int queued;
  private long received;
  private boolean paused;
  private boolean ended;
  private boolean closed;
  private Interrupted failure;
  private Buffer current;
  private int position;

  ResponseInput(HttpClientResponse response, long maxBytes, Duration stall) {
    this.response = response;
    this.context = Vertx.currentContext();
    this.maxBytes = maxBytes;
    this.stallNanos = stall.toNanos();
    response.handler(this::arrived);
    response.endHandler(v -> ended());
    response.exceptionHandler(this::failed);
  }

  private void arrived(Buffer buffer) {
    boolean over;
    synchronized (this) {
      if (closed) {
        return;
      }
      received += buffer.length();
      over = received > maxBytes;
      if (over) {
        failure = new Interrupted("the answer is longer than " + maxBytes + " bytes", true, null);
        notifyAll();
      } else {
        queue.addLast(buffer);
        queued += buffer.length();
        notifyAll();
        if (queued < HIGH_WATER || paused) {
          return;
        }
        paused = true;
      }
    }
    if (over) {
      response.request().reset();
    } else {
      response.pause();
    }
  }

  private synchronized void ended() {
    ended = true;
    notifyAll();
  }

  private synchronized void failed(Throwable e) {
    if (failure == null) {
      failure = new Interrupted("the answer was cut off: " + e, false, e);
    }
    notifyAll();
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
    if (current == null || position == current.length()) {
      if (!next()) {
        return -1;
      }
    }
    int n = Math.min(length, current.length() - position);
    current.getBytes(position, position + n, into, offset);
    position += n;
    return n;
  }

  private boolean next() throws IOException {
    boolean resume = false;
    synchronized (this) {
      long deadline = System.nanoTime() + stallNanos;
      while (queue.isEmpty()) {
        if (failure != null) {
          throw failure;
        }
        if (ended) {
          return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new Interrupted("no data from the ISO for " + Duration.ofNanos(stallNanos).toSeconds() + " s", false,
              null);
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Interrupted("interrupted", false, e);
        }
      }
      if (failure != null) {
        throw failure;
      }
      current = queue.pollFirst();
      position = 0;
      queued -= current.length();
      if (paused && queued <= LOW_WATER) {
        paused = false;
        resume = true;
      }
    }
    if (resume) {
      context.runOnContext(v -> response.resume());
    }
    return true;
  }

  /** Drops what is left; an answer not read to its end closes the connection (it cannot be reused). */
  @Override
  public void close() {
    boolean unfinished;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      unfinished = !ended && failure == null;
      queue.clear();
      queued = 0;
    }
    if (unfinished) {
      context.runOnContext(v -> response.request().reset());
    }
  }
}
