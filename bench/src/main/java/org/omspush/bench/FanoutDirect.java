package org.omspush.bench;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The baseline: the same subscribers hit directly, with the body and headers of a real delivery,
 * over HTTP/1.1 keep-alive with as many connections per subscriber as the receiver may use
 * (its per-subscriber limit), in a closed loop. Either by {@code wrk} (one process per
 * subscriber, one thread each) or by a Vert.x HTTP client in the benchmark's JVM.
 */
final class FanoutDirect {
  private FanoutDirect() {}

  /** What a baseline run measured. @param p50Ms,p99Ms request latency (wrk: the worst of its processes) */
  record Result(String tool, int connections, double seconds, long requests, double perSecond,
      double subscriberPerSecond, double p50Ms, double p99Ms, long errors, String note) {}

  /** The JSON body of a delivery with its benchmark marker changed, so the subscribers only count it. */
  static byte[] unmarked(byte[] body, String marker) {
    String text = new String(body, StandardCharsets.UTF_8);
    String replacement = "DIR" + marker.substring(3);
    return text.replace(marker, replacement).getBytes(StandardCharsets.UTF_8);
  }

  /** The headers a subscriber gets from the receiver, as sent (Host and Content-Length left to the client). */
  static Map<String, String> headers(MultiMap h) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (String name : List.of("Content-Type", "User-Agent", "webhook-id", "webhook-timestamp", "webhook-signature")) {
      String v = h.get(name);
      if (v != null) {
        out.put(name, v);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- wrk

  static Result wrk(Path wrk, FanoutSubscribers subs, byte[] body, Map<String, String> headers, int connections,
      int seconds, Path work) throws IOException, InterruptedException {
    Path bodyFile = work.resolve("wrk-body.json");
    Files.write(bodyFile, body);
    StringBuilder lua = new StringBuilder();
    lua.append("wrk.method = \"POST\"\n");
    lua.append("local f = io.open(\"").append(bodyFile.toAbsolutePath()).append("\", \"rb\")\n");
    lua.append("wrk.body = f:read(\"*a\")\nf:close()\n");
    headers.forEach((k, v) -> lua.append("wrk.headers[\"").append(k).append("\"] = \"")
        .append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n"));
    Path script = work.resolve("wrk-post.lua");
    Files.writeString(script, lua.toString());

    long before = subs.requests();
    long t0 = System.nanoTime();
    List<Process> procs = new ArrayList<>();
    List<Path> outs = new ArrayList<>();
    try {
      for (int i = 0; i < subs.size(); i++) {
        Path out = work.resolve("wrk-" + i + ".txt");
        outs.add(out);
        procs.add(new ProcessBuilder(wrk.toString(), "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
            "--timeout", "10s", "-s", script.toString(), subs.url(i))
            .redirectErrorStream(true).redirectOutput(out.toFile()).start());
      }
      for (Process p : procs) {
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
          throw new IllegalStateException("wrk did not finish");
        }
      }
    } finally {
      for (Process p : procs) { // only our own wrk processes, by their handles
        if (p.isAlive()) {
          p.destroyForcibly();
        }
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    long atSubscribers = subs.requests() - before;
    double rate = 0;
    long requests = 0;
    long errors = 0;
    double p50 = 0;
    double p99 = 0;
    StringBuilder note = new StringBuilder();
    Pattern rps = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    Pattern total = Pattern.compile("(\\d+) requests in");
    Pattern err = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    Pattern non2xx = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    for (Path out : outs) {
      String text = Files.readString(out);
      Matcher m = rps.matcher(text);
      if (!m.find()) {
        note.append("wrk output without a rate: ").append(text.strip().replace('\n', ' ')).append("; ");
        continue;
      }
      rate += Double.parseDouble(m.group(1));
      Matcher t = total.matcher(text);
      if (t.find()) {
        requests += Long.parseLong(t.group(1));
      }
      Matcher e = err.matcher(text);
      if (e.find()) {
        for (int g = 1; g <= 4; g++) {
          errors += Long.parseLong(e.group(g));
        }
      }
      Matcher x = non2xx.matcher(text);
      if (x.find()) {
        errors += Long.parseLong(x.group(1));
      }
      p50 = Math.max(p50, wrkPercentile(text, "50%"));
      p99 = Math.max(p99, wrkPercentile(text, "99%"));
    }
    return new Result("wrk", connections, seconds, requests, rate, atSubscribers / wall, p50, p99, errors,
        note.toString());
  }

  /** A line of wrk's --latency distribution, e.g. {@code 99%    1.23ms}, in ms. */
  private static double wrkPercentile(String text, String label) {
    Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(label) + "\\s+([0-9.]+)(us|ms|s|m)\\s*$").matcher(text);
    if (!m.find()) {
      return Double.NaN;
    }
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> v / 1000;
      case "ms" -> v;
      case "s" -> v * 1000;
      default -> v * 60_000;
    };
  }

  static String wrkVersion(Path wrk) {
    try {
      Process p = new ProcessBuilder(wrk.toString(), "-v").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(5, TimeUnit.SECONDS);
      Matcher m = Pattern.compile("wrk (\\S+)").matcher(out);
      return m.find() ? "wrk " + m.group(1) : "wrk";
    } catch (IOException | InterruptedException e) {
      return "wrk";
    }
  }

  // ---------------------------------------------------------------- Vert.x client

  /**
   * A Vert.x HTTP client per subscriber (pool of {@code connections}), {@code connections}
   * closed-loop senders each, in this JVM (so it competes with the subscribers for the CPU).
   */
  static Result vertx(FanoutSubscribers subs, byte[] body, Map<String, String> headers, int connections, int seconds)
      throws Exception {
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(false));
    try {
      int n = subs.size();
      List<HttpClientAgent> clients = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        clients.add(vertx.httpClientBuilder()
            .with(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true))
            .with(new PoolOptions().setHttp1MaxSize(connections)).build());
      }
      Buffer payload = Buffer.buffer(body);
      long before = subs.requests();
      long start = System.nanoTime();
      long end = start + seconds * 1_000_000_000L;
      int senders = n * connections;
      CountDownLatch finished = new CountDownLatch(senders);
      AtomicLong errors = new AtomicLong();
      long[][] latencies = new long[senders][];
      int[] counts = new int[senders];
      for (int s = 0; s < senders; s++) {
        latencies[s] = new long[1 << 14];
        int sender = s;
        int sub = s % n;
        RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
            .setPort(subs.port(sub)).setURI("/hook/" + sub);
        headers.forEach(ro::putHeader);
        vertx.runOnContext(v -> loop(clients.get(sub), ro, payload, end, latencies, counts, sender, errors, finished));
      }
      if (!finished.await(seconds + 60L, TimeUnit.SECONDS)) {
        throw new IllegalStateException("Vert.x client baseline: senders did not finish");
      }
      double wall = (System.nanoTime() - start) / 1e9;
      long atSubscribers = subs.requests() - before;
      long total = Arrays.stream(counts).asLongStream().sum();
      long[] all = new long[(int) total];
      int k = 0;
      for (int s = 0; s < senders; s++) {
        System.arraycopy(latencies[s], 0, all, k, counts[s]);
        k += counts[s];
      }
      Arrays.sort(all);
      for (HttpClientAgent c : clients) {
        c.close();
      }
      return new Result("Vert.x client", connections, seconds, total, total / (double) seconds, atSubscribers / wall,
          FanoutBench.percentileNs(all, 0.50) / 1e6, FanoutBench.percentileNs(all, 0.99) / 1e6, errors.get(), "");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void loop(HttpClientAgent client, RequestOptions ro, Buffer payload, long end, long[][] latencies,
      int[] counts, int sender, AtomicLong errors, CountDownLatch finished) {
    long t0 = System.nanoTime();
    if (t0 >= end) {
      finished.countDown();
      return;
    }
    // body() chained on send() itself: chained on the outer compose it can miss a small answer (see SubscriberHttp)
    client.request(ro).compose(req -> req.send(payload).compose(resp -> resp.body().map(b -> resp.statusCode())))
        .onComplete(ar -> {
          long t1 = System.nanoTime();
          if (ar.succeeded() && ar.result() == 204) {
            if (t1 < end) { // only exchanges completed in the window count
              if (counts[sender] == latencies[sender].length) {
                latencies[sender] = Arrays.copyOf(latencies[sender], latencies[sender].length * 2);
              }
              latencies[sender][counts[sender]++] = t1 - t0;
            }
          } else {
            errors.incrementAndGet();
          }
          loop(client, ro, payload, end, latencies, counts, sender, errors, finished);
        });
  }
}
