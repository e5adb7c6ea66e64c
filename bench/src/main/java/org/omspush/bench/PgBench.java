package org.omspush.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.omspush.store.DatabaseUrl;

/**
 * The baseline: pgbench's single-row autocommit inserts into a scratch table on the same Postgres,
 * the most a client could get out of it one commit per row.
 */
final class PgBench {
  static final String TABLE = """
      CREATE TABLE IF NOT EXISTS bench_insert (
        id          bigserial PRIMARY KEY,
        message_id  text,
        body        bytea,
        received_at timestamptz DEFAULT now())""";

  static final String SCRIPT = """
      \\set id random(1, 1000000000)
      insert into bench_insert(message_id, body) values (:id, 'x');
      """;

  private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");
  private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

  record Result(int clients, double tps, double latencyMs, String output) {}

  private final Path pgbench;
  private final DatabaseUrl db;
  private final Path script;
  private final Path receiverSql;

  /**
   * @param sampleEnvelope a signed push, stored as raw_xml by the receiver-SQL run (its bytes
   *     compress in TOAST as real pushes do, unlike a repeated character)
   */
  PgBench(Path pgbench, DatabaseUrl db, Path workDir, byte[] sampleEnvelope) throws IOException, SQLException {
    if (!Files.isExecutable(pgbench)) {
      throw new IllegalStateException(pgbench + " is missing: apt-get install -y postgresql-client (or set PGBENCH)");
    }
    this.pgbench = pgbench;
    this.db = db;
    this.script = workDir.resolve("insert.sql");
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    this.receiverSql = workDir.resolve("receiver-sql.sql");
    Files.writeString(receiverSql, receiverSqlScript(sampleEnvelope), StandardCharsets.UTF_8);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute(TABLE);
    }
  }

  /**
   * The receiver's own statement for an outage change (PushSql: one call of store_outage_change,
   * one round trip) with the given envelope as raw_xml, without TLS, XML or signatures: how fast
   * Postgres alone could take the receiver's writes.
   */
  static String receiverSqlScript(byte[] envelope) {
    String n = ":n::text";
    String call = params(org.omspush.store.BenchPushSql.storeOutageChange(),
        "'default'",
        n,
        "'receiveOutageStatusChange_v1'",
        "'CN=oms-push.caiso.com,OU=OMS,O=CAISO,C=US'",
        "md5(" + n + ")",
        "decode('" + java.util.HexFormat.of().formatHex(envelope) + "', 'hex')",
        "('pgb-' || " + n + ")",
        "'TRANSMISSION'",
        "1",
        "'RECEIVED'",
        "NULL",
        "now()",
        "('tok-' || " + n + ")",
        "'RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP'",
        "(now() + interval '1 day')");
    return "\\set n random(1, 9000000000000000000)\n"
        + strip(call) + ";\n";
  }

  /** $1..$n of a statement replaced by SQL text (highest first, so $10 is not read as $1). */
  private static String params(String sql, String... values) {
    for (int i = values.length; i >= 1; i--) {
      sql = sql.replace("$" + i, values[i - 1]);
    }
    return sql;
  }

  /** One statement per script line group: comments out, trailing whitespace off. */
  private static String strip(String sql) {
    return sql.replaceAll("(?m)--.*$", "").strip();
  }

  Result run(int clients, int seconds) throws IOException, InterruptedException {
    return run(script, clients, seconds);
  }

  Result runReceiverSql(int clients, int seconds) throws IOException, InterruptedException {
    return run(receiverSql, clients, seconds);
  }

  private Result run(Path script, int clients, int seconds) throws IOException, InterruptedException {
    List<String> cmd = List.of(pgbench.toString(),
        "-h", db.host(), "-p", Integer.toString(db.port()), "-U", db.user(),
        "-n", "-M", "prepared", "-T", Integer.toString(seconds),
        "-c", Integer.toString(clients), "-j", Integer.toString(Math.min(2, clients)),
        "-f", script.toString(), db.database());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("pgbench did not finish");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    Matcher tps = TPS.matcher(text);
    if (p.exitValue() != 0 || !tps.find()) {
      throw new IllegalStateException("pgbench failed (exit " + p.exitValue() + "):\n" + text);
    }
    Matcher lat = LATENCY.matcher(text);
    return new Result(clients, Double.parseDouble(tps.group(1)),
        lat.find() ? Double.parseDouble(lat.group(1)) : Double.NaN, text);
  }
}
