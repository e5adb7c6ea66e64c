package org.omspush.store.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;

/**
 * Databases for tests, on a real PostgreSQL: one embedded server per JVM, started on first use
 * and stopped (its files deleted) at JVM exit; or, when the environment variable {@value
 * #SERVER_ENV} is set (a {@code postgresql://} URL of a user allowed to create databases), that
 * server instead.
 *
 * <p>Every {@link #fresh()} is a new, uniquely named, migrated database, so tests never see
 * each other's rows and may run in parallel. It is copied from a template migrated once per
 * JVM, which takes a few milliseconds. Databases made on an external server are dropped at JVM
 * exit.
 *
 * <p>From another module's pom:
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>org.omspush</groupId>
 *   <artifactId>oms-store</artifactId>
 *   <version>${project.version}</version>
 *   <type>test-jar</type>
 *   <scope>test</scope>
 * </dependency>
 * }</pre>
 *
 * <p>Blocking (JDBC): call it from test code, not from an event loop.
 */
public final class TestDatabase {

  /** Environment variable naming an external server to use instead of the embedded one. */
  public static final String SERVER_ENV = "OMS_TEST_DATABASE_URL";

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  private static final Object LOCK = new Object();
  private static final List<String> CREATED = new ArrayList<>();

  private static DatabaseUrl server; // the maintenance database ("postgres") of the server
  private static String template;

  private TestDatabase() {}

  /** A new database with the current schema and no rows. */
  public static DatabaseUrl fresh() {
    String template = migratedTemplate();
    String name = nextName("t");
    execute(server(), "CREATE DATABASE " + name + " TEMPLATE " + template);
    remember(name);
    return server().withDatabase(name);
  }

  /** A new database without any schema (Flyway has not run on it). */
  public static DatabaseUrl empty() {
    String name = nextName("e");
    execute(server(), "CREATE DATABASE " + name);
    remember(name);
    return server().withDatabase(name);
  }

  /**
   * The server's maintenance database ({@code postgres}), e.g. to create or drop databases.
   * Starts the embedded server when needed.
   */
  public static DatabaseUrl server() {
    synchronized (LOCK) {
      if (server == null) {
        String external = System.getenv(SERVER_ENV);
        server = external == null || external.isBlank() ? startEmbedded() : DatabaseUrl.parse(external);
        Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropCreatedDatabases, "test-database-cleanup"));
      }
      return server;
    }
  }

  /** The single long value of a query, e.g. {@code queryLong(url, "SELECT count(*) FROM claim WHERE state = ?", "PENDING")}. */
  public static long queryLong(DatabaseUrl url, String sql, Object... params) {
    List<Map<String, Object>> rows = rows(url, sql, params);
    if (rows.size() != 1 || rows.get(0).size() != 1) {
      throw new IllegalStateException("expected one row with one column from: " + sql);
    }
    Object value = rows.get(0).values().iterator().next();
    return value == null ? 0 : ((Number) value).longValue();
  }

  /** How many rows {@code table} has (optionally {@code where} a condition, with {@code ?} parameters). */
  public static long count(DatabaseUrl url, String table, String where, Object... params) {
    if (!table.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("not a table name: " + table);
    }
    return queryLong(url, "SELECT count(*) FROM " + table + (where == null ? "" : " WHERE " + where), params);
  }

  /** How many rows {@code table} has. */
  public static long count(DatabaseUrl url, String table) {
    return count(url, table, null);
  }

  /** Every row of a query, as column name (lowercase) → value, in order. */
  public static List<Map<String, Object>> rows(DatabaseUrl url, String sql, Object... params) {
    try (Connection c = connect(url); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData meta = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            row.put(meta.getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getObject(i));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + sql, e);
    }
  }

  /** Runs one statement (DDL, an update) and returns the update count. */
  public static int execute(DatabaseUrl url, String sql, Object... params) {
    try (Connection c = connect(url); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.execute();
      return ps.getUpdateCount();
    } catch (SQLException e) {
      throw new IllegalStateException("statement failed: " + sql, e);
    }
  }

  /**
   * EXPLAIN's lines for a prepared statement under {@code planCacheMode}, in a transaction rolled
   * back after. {@code executed}: EXPLAIN ANALYZE in a read-only transaction (a write would fail it).
   */
  public static List<String> plan(DatabaseUrl url, String planCacheMode, boolean executed, String signature,
      String sql, String execute) throws SQLException {
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      if (executed) {
        st.execute("SET TRANSACTION READ ONLY");
      }
      st.execute("SET plan_cache_mode = " + planCacheMode);
      st.execute("PREPARE " + signature + " AS " + sql);
      List<String> lines = new ArrayList<>();
      String options = executed ? "ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF" : "COSTS OFF";
      try (ResultSet rs = st.executeQuery("EXPLAIN (" + options + ") EXECUTE " + execute)) {
        while (rs.next()) {
          lines.add(rs.getString(1));
        }
      }
      c.rollback();
      return lines;
    }
  }

  /** A plain JDBC connection; the caller closes it. */
  public static Connection connect(DatabaseUrl url) throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  private static String migratedTemplate() {
    synchronized (LOCK) {
      if (template == null) {
        String name = nextName("template");
        execute(server(), "CREATE DATABASE " + name);
        remember(name);
        Migrations.migrate(server().withDatabase(name));
        // No connection may stay open on a template while it is copied (Flyway closed its own).
        template = name;
      }
      return template;
    }
  }

  private static String nextName(String kind) {
    return "oms_" + kind + "_" + RUN + "_" + COUNTER.incrementAndGet();
  }

  private static void remember(String name) {
    synchronized (CREATED) {
      CREATED.add(name);
    }
  }

  private static DatabaseUrl startEmbedded() {
    try {
      Path dir = Files.createTempDirectory("oms-test-db-");
      EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0, false);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        db.close();
        deleteRecursively(dir);
      }, "test-database-stop"));
      return db.url().withDatabase("postgres");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Only on an external server: the embedded one is deleted as a whole. */
  private static void dropCreatedDatabases() {
    String external = System.getenv(SERVER_ENV);
    if (external == null || external.isBlank()) {
      return;
    }
    List<String> names;
    synchronized (CREATED) {
      names = new ArrayList<>(CREATED);
    }
    try (Connection c = connect(server); Statement s = c.createStatement()) {
      for (String name : names) {
        try {
          s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
          // best effort at exit
        }
      }
    } catch (SQLException e) {
      // best effort at exit
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
