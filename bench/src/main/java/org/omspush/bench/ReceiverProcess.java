package org.omspush.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The receiver as deployed: {@code java -jar oms-receiver.jar serve} in its own JVM, configured
 * by environment only, output to a log file. Stopped with SIGTERM (its own graceful shutdown),
 * killed only if that takes more than 30 s; only this process, by its pid.
 */
final class ReceiverProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  final int pushPort;
  final int opsPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ReceiverProcess(Process process, Path log, int pushPort, int opsPort) {
    this.process = process;
    this.log = log;
    this.pushPort = pushPort;
    this.opsPort = opsPort;
  }

  static ReceiverProcess start(Path jar, List<String> jvmArgs, Map<String, String> env, Path log)
      throws IOException, InterruptedException {
    int pushPort = freePort();
    int opsPort = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", jar.toString(), "serve"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // nothing of the caller's own OMS_* settings (a real OMS_DATABASE_URL, say) leaks in
    pb.environment().keySet().removeIf(k -> k.startsWith("OMS_"));
    pb.environment().putAll(env);
    pb.environment().put("OMS_PUSH_PORT", Integer.toString(pushPort));
    pb.environment().put("OMS_OPS_PORT", Integer.toString(opsPort));
    ReceiverProcess r = new ReceiverProcess(pb.start(), log, pushPort, opsPort);
    try {
      r.awaitReady(Duration.ofSeconds(90));
    } catch (RuntimeException | InterruptedException e) {
      r.close();
      throw e;
    }
    return r;
  }

  private void awaitReady(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort + "/health/ready"))
        .timeout(Duration.ofSeconds(3)).build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the receiver exited with " + process.exitValue() + ":\n" + logTail(40));
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the receiver was not ready within " + limit.toSeconds() + " s:\n" + logTail(40));
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** CPU time (user + system) used so far, in nanoseconds. */
  long cpuNanos() {
    return Cpu.nanos(process.toHandle());
  }

  /** Peak resident set size (VmHWM) in KiB, or -1 where /proc does not tell. */
  long peakRssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or gone
    }
    return -1;
  }

  /** Sum of the values of a Prometheus series (all label sets), or NaN. */
  double metric(String name) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build();
      String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(body);
      double sum = 0;
      boolean any = false;
      while (m.find()) {
        sum += Double.parseDouble(m.group(2));
        any = true;
      }
      return any ? sum : Double.NaN;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  String logTail(int lines) {
    String[] all = logText().split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
