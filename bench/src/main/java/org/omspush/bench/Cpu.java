package org.omspush.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/** CPU time of processes, to tell where a 2-core machine's cycles went during a phase. */
final class Cpu {
  private Cpu() {}

  static long nanos(ProcessHandle p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  /**
   * The postmaster of a data directory and all its backends and workers. Backends come and go
   * (pgbench's exit with it), so a daemon thread samples them every 100 ms and keeps what each
   * one used; a counter that starts at the first read.
   */
  static LongSupplier postgres(Path pgData) {
    java.util.Map<Long, long[]> seen = new java.util.concurrent.ConcurrentHashMap<>(); // pid -> {first, last}
    Runnable sample = () -> {
      try {
        List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"));
        ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(lines.get(0).strip())).orElse(null);
        if (postmaster == null) {
          return;
        }
        java.util.stream.Stream.concat(java.util.stream.Stream.of(postmaster), postmaster.descendants())
            .forEach(p -> {
              long cpu = nanos(p);
              if (cpu > 0) {
                seen.compute(p.pid(), (pid, v) -> v == null ? new long[] {0, cpu}
                    : new long[] {v[0], Math.max(v[1], cpu)});
              }
            });
      } catch (IOException | RuntimeException e) {
        // stopped, or not Linux
      }
    };
    sample.run();
    // processes already running at the first read count from there on; later ones from zero
    seen.replaceAll((pid, v) -> new long[] {v[1], v[1]});
    Thread t = new Thread(() -> {
      while (true) {
        sample.run();
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "postgres-cpu-sampler");
    t.setDaemon(true);
    t.start();
    return () -> {
      sample.run();
      return seen.values().stream().mapToLong(v -> v[1] - v[0]).sum();
    };
  }

  /** CPU time all processes of the machine used (from /proc/stat, USER_HZ = 100), or 0 where unknown. */
  static long machine() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      // user nice system idle iowait irq softirq steal: everything but idle and iowait
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return busy * 10_000_000L;
    } catch (IOException | RuntimeException e) {
      return 0L;
    }
  }

  /** Several CPU counters read at once; {@link #since} gives the share of one core each used. */
  record Snapshot(long wallNanos, long[] cpuNanos) {
    static Snapshot take(LongSupplier... counters) {
      long[] v = new long[counters.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = counters[i].getAsLong();
      }
      return new Snapshot(System.nanoTime(), v);
    }

    /** Percent of one core per counter between {@code earlier} and this snapshot. */
    double[] since(Snapshot earlier) {
      double wall = wallNanos - earlier.wallNanos;
      double[] pct = new double[cpuNanos.length];
      for (int i = 0; i < pct.length; i++) {
        pct[i] = 100.0 * (cpuNanos[i] - earlier.cpuNanos[i]) / wall;
      }
      return pct;
    }
  }
}
