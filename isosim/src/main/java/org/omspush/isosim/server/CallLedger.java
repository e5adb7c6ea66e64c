package org.omspush.isosim.server;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Counts the calls that reach a retrieve service path and keeps the latest ones. */
final class CallLedger {

  static final int KEPT_CALLS = 100_000;

  private record Key(String identity, RetrieveService service) {}

  private static final class Counts {
    long calls;
    long accepted;
    long violations;
  }

  private final Map<Key, Counts> counts = new LinkedHashMap<>();
  private final Deque<IsoStats.Call> calls = new ArrayDeque<>();
  private long totalCalls;
  private long totalViolations;

  synchronized void record(String identity, RetrieveService service, long arrivalNanos,
      boolean accepted) {
    Counts entry = counts.computeIfAbsent(new Key(identity, service), key -> new Counts());
    entry.calls++;
    totalCalls++;
    if (accepted) {
      entry.accepted++;
    } else {
      entry.violations++;
      totalViolations++;
    }
    if (calls.size() == KEPT_CALLS) {
      calls.removeFirst();
    }
    calls.addLast(new IsoStats.Call(identity, service, arrivalNanos, Instant.now(), accepted));
  }

  synchronized IsoStats snapshot() {
    List<IsoStats.Entry> entries = new ArrayList<>(counts.size());
    counts.forEach((key, value) -> entries.add(new IsoStats.Entry(key.identity(),
        key.service().serviceName(), value.calls, value.accepted, value.violations)));
    entries.sort(Comparator.comparing(IsoStats.Entry::identity)
        .thenComparing(IsoStats.Entry::service));
    return new IsoStats(totalCalls, totalViolations, entries);
  }

  synchronized List<IsoStats.Call> calls() {
    return List.copyOf(calls);
  }

  synchronized void reset() {
    counts.clear();
    calls.clear();
    totalCalls = 0;
    totalViolations = 0;
  }
}
