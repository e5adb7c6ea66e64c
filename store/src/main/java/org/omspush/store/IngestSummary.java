package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the ingest path holds, for operators and the demo: messages, claims by state, market events. */
public final class IngestSummary {
  private static final String COUNTS = """
      select 'messages stored' as what, count(*) as n from inbound_message
      union all select 'duplicate pushes answered', coalesce(sum(duplicate_count), 0) from inbound_message
      union all select 'duplicates with another body', coalesce(sum(conflict_count), 0) from inbound_message
      union all select 'claims ' || state, count(*) from claim group by state
      union all select 'market events ' || fanout_state, count(*) from market_event group by fanout_state
      """;

  private static final String GATES = """
      select service, calls, aup_pages,
             greatest(0, extract(epoch from next_allowed_at - now()))::float8 as wait_s
        from aup_gate where next_allowed_at > '-infinity' order by service, identity
      """;

  /** One AUP gate: a service of one certificate, seconds until its next call may go, and its counts. */
  public record Gate(String service, double secondsUntilOpen, long calls, long aupPages) {}

  private final Pool pool;

  public IngestSummary(Pool pool) {
    this.pool = pool;
  }

  public Future<Map<String, Long>> eventsByType() {
    return pool.query("select type, count(*) as n from event group by type").execute().map(rows -> {
      Map<String, Long> out = new LinkedHashMap<>();
      for (Row r : rows) {
        out.put(r.getString("type"), r.getLong("n"));
      }
      return out;
    });
  }

  public Future<Map<String, Long>> counts() {
    return pool.query(COUNTS).execute().map(rows -> {
      Map<String, Long> out = new LinkedHashMap<>();
      for (Row r : rows) {
        out.put(r.getString("what"), r.getLong("n"));
      }
      return out;
    });
  }

  /** The AUP gates, on the database clock (the one every replica's gate uses). */
  public Future<java.util.List<Gate>> gates() {
    return pool.query(GATES).execute().map(rows -> {
      java.util.List<Gate> out = new java.util.ArrayList<>();
      for (Row r : rows) {
        out.add(new Gate(r.getString("service"), r.getDouble("wait_s"), r.getLong("calls"), r.getLong("aup_pages")));
      }
      return out;
    });
  }
}
