package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.PushLoad.eventually;
import static org.omspush.receiver.PushLoad.readyStatus;

import java.io.File;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.omspush.store.DatabaseUrl;

/** Receivers in their own JVMs, for tests that kill them or run several replicas. */
final class ReceiverProcesses {
  static final Duration READY_LIMIT = Duration.ofSeconds(60);

  private ReceiverProcesses() {}

  /** The URL with its password, if any: {@link DatabaseUrl#toString()} masks it. */
  /** Runs every step even when an earlier one fails (nothing may be left running); rethrows the first failure. */
  static void closeAll(java.util.List<AutoCloseable> steps) throws Exception {
    Exception first = null;
    for (AutoCloseable step : steps) {
      try {
        step.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  static String connectionString(DatabaseUrl url) {
    StringBuilder b = new StringBuilder("postgresql://").append(encode(url.user()));
    if (url.password() != null) {
      b.append(':').append(encode(url.password()));
    }
    String host = url.host().indexOf(':') >= 0 ? "[" + url.host() + "]" : url.host();
    b.append('@').append(host).append(':').append(url.port()).append('/').append(encode(url.database()));
    String sep = "?";
    if (url.sslMode() != null) {
      b.append(sep).append("sslmode=").append(url.sslMode());
      sep = "&";
    }
    if (url.sslRootCert() != null) {
      b.append(sep).append("sslrootcert=").append(encode(url.sslRootCert()));
    }
    return b.toString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** {@code java -cp <test classpath> org.omspush.receiver.Main serve}, its output in a file. */
  static final class ReceiverProcess {
    final String name;
    final Process process;
    final Path logFile;
    final int pushPort;
    final int opsPort;

    private ReceiverProcess(String name, Process process, Path logFile, int pushPort, int opsPort) {
      this.name = name;
      this.process = process;
      this.logFile = logFile;
      this.pushPort = pushPort;
      this.opsPort = opsPort;
    }

    static ReceiverProcess start(String name, Map<String, String> env, Path logFile, int pushPort, int opsPort)
        throws IOException {
      // C1 only and the serial collector: a short-lived JVM starts faster on a small, busy machine.
      return start(name, env, logFile, pushPort, opsPort, List.of("-Xmx512m", "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1"));
    }

    /** With these JVM options instead (heap size, GC log). */
    static ReceiverProcess start(String name, Map<String, String> env, Path logFile, int pushPort, int opsPort,
        List<String> jvmOptions) throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command = new java.util.ArrayList<>(List.of(java));
      command.addAll(jvmOptions);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve"));
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().putAll(env);
      pb.redirectErrorStream(true);
      pb.redirectOutput(logFile.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      Process process = pb.start();
      // Should this JVM be stopped before @AfterEach runs, the receiver must not outlive it.
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, name + "-kill"));
      return new ReceiverProcess(name, process, logFile, pushPort, opsPort);
    }

    String pushUrl() {
      return "https://localhost:" + pushPort + "/iso/v1/push";
    }

    void awaitReady() throws InterruptedException {
      boolean ready = eventually(READY_LIMIT, () -> {
        if (!process.isAlive()) {
          throw new AssertionError(name + " exited with " + process.exitValue() + " before it was ready; log:\n" + log());
        }
        return readyStatus(opsPort) == 200;
      });
      assertThat(ready).as("%s ready within %s; log:%n%s", name, READY_LIMIT, log()).isTrue();
    }

    /** SIGKILL (destroyForcibly on Linux), and wait until it is gone. */
    void kill() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die");
      }
    }

    /** The last 200 lines of its output. */
    String log() {
      try {
        List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 200), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }
}
