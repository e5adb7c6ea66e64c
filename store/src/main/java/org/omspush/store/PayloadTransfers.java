package org.omspush.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How many documents this replica streams at once, in or out: fetches of retrieve answers and
 * payload-link downloads share one count ({@code OMS_LARGE_TRANSFERS_MAX}). Each holds a few
 * MiB of buffers, so the count bounds the heap they take. Waiters are served in order; a slot is
 * given back with {@link Slot#close()} exactly once. Safe to use from any event loop.
 */
public final class PayloadTransfers {

  /** A slot held; closing it gives it back (a second close does nothing). */
  public interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /** OMS_LARGE_TRANSFERS_MAX by default. */
  public static final int DEFAULT_MAX = 4;

  private record Waiter(Promise<Slot> promise, Context context) {}

  private final Vertx vertx;
  private final int max;
  private final Deque<Waiter> waiting = new ArrayDeque<>();
  private int inUse;

  public PayloadTransfers(Vertx vertx, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("at least one transfer must be allowed");
    }
    this.vertx = vertx;
    this.max = max;
  }

  public int max() {
    return max;
  }

  public synchronized int inUse() {
    return inUse;
  }

  /** A slot as soon as one is free. */
  public Future<Slot> acquire() {
    return acquire(null);
  }

  /** A slot, or a failed future after {@code patience} (null: wait as long as it takes). */
  public Future<Slot> acquire(Duration patience) {
    Context context = vertx.getOrCreateContext();
    Promise<Slot> promise = Promise.promise();
    Waiter waiter = new Waiter(promise, context);
    synchronized (this) {
      if (inUse < max && waiting.isEmpty()) {
        inUse++;
        promise.complete(newSlot());
        return promise.future();
      }
      waiting.addLast(waiter);
    }
    if (patience != null) {
      vertx.setTimer(Math.max(1, patience.toMillis()), t -> {
        boolean removed;
        synchronized (this) {
          removed = waiting.remove(waiter);
        }
        if (removed) {
          context.runOnContext(v -> promise.tryFail(new TransfersBusyException(
              "all " + max + " large transfers of this replica are in use")));
        }
      });
    }
    return promise.future();
  }

  private Slot newSlot() {
    boolean[] closed = {false};
    return () -> {
      synchronized (this) {
        if (closed[0]) {
          return;
        }
        closed[0] = true;
      }
      release();
    };
  }

  private void release() {
    Waiter next;
    synchronized (this) {
      next = waiting.pollFirst();
      if (next == null) {
        inUse--;
        return;
      }
    }
    // The slot passes straight to the next waiter.
    Slot slot = newSlot();
    next.context().runOnContext(v -> {
      if (!next.promise().tryComplete(slot)) {
        slot.close();
      }
    });
  }

  /** No slot became free within the patience given. */
  public static final class TransfersBusyException extends RuntimeException {
    public TransfersBusyException(String message) {
      super(message, null, false, false);
    }
  }
}
