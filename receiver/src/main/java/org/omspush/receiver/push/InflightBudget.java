package org.omspush.receiver.push;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Bytes of push bodies held in memory at once. A request waits, paused, until its body fits, so
 * a burst of large pushes slows the receiver down instead of running it out of memory.
 * First come, first served, so a large push is not starved by small ones.
 */
public final class InflightBudget {
  /**
   * Heap a push holds per byte of body while it is read, parsed and stored: the body, its copy
   * for the store, the DOM (text as UTF-16) and the canonical form hashed for deduplication.
   * Measured with 5 MiB pushes at -Xmx256m.
   */
  public static final long MEMORY_PER_BODY_BYTE = 6;

  private final long capacity;
  private long used;
  private final Deque<Waiter> waiting = new ArrayDeque<>();

  private record Waiter(long bytes, Promise<Long> promise) {}

  public InflightBudget(long capacity) {
    this.capacity = capacity;
  }

  /** Completes with the bytes actually reserved (one body larger than the whole budget gets all of it). */
  public Future<Long> acquire(long bytes) {
    long want = Math.min(bytes, capacity);
    Promise<Long> p = Promise.promise();
    boolean now;
    synchronized (this) {
      now = waiting.isEmpty() && used + want <= capacity;
      if (now) {
        used += want;
      } else {
        waiting.add(new Waiter(want, p));
      }
    }
    if (now) {
      p.complete(want);
    }
    return p.future();
  }

  /**
   * Gives up a wait that {@link #acquire} has not granted yet (the sender went away, or waited too
   * long): true if it was still waiting and is now out of the queue; false if it was granted
   * (then its holder releases it as usual).
   */
  public boolean withdraw(Future<Long> pending) {
    Deque<Waiter> ready = new ArrayDeque<>();
    synchronized (this) {
      if (!waiting.removeIf(w -> w.promise.future() == pending)) {
        return false;
      }
      grantWaiting(ready);
    }
    // A large waiter at the head may have held back smaller ones behind it.
    ready.forEach(w -> w.promise.complete(w.bytes));
    return true;
  }

  public void release(long bytes) {
    Deque<Waiter> ready = new ArrayDeque<>();
    synchronized (this) {
      used -= bytes;
      grantWaiting(ready);
    }
    ready.forEach(w -> w.promise.complete(w.bytes));
  }

  private void grantWaiting(Deque<Waiter> ready) {
    while (!waiting.isEmpty() && used + waiting.peek().bytes <= capacity) {
      Waiter w = waiting.poll();
      used += w.bytes;
      ready.add(w);
    }
  }

  public synchronized long used() {
    return used;
  }

  public synchronized int waiting() {
    return waiting.size();
  }
}
