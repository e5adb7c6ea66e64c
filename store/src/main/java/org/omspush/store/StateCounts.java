package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Claims and deliveries by state and the age of the oldest pending claim, on the database
 * clock: what the metrics gauges show. One statement, meant to run every few seconds, not per
 * scrape (it counts whole tables). The oldest pending delivery is the fan-out's own gauge.
 */
public final class StateCounts {
  /** Every state a claim can be in (claim_state_check): each gets a value, 0 when none. */
  public static final List<String> CLAIM_STATES = List.of("PENDING", "SUPERSEDED", "REDEEMED", "DEAD",
      "UNSERVICEABLE");
  /** Every state a delivery can be in (delivery_state_check). */
  public static final List<String> DELIVERY_STATES = List.of("PENDING", "DELIVERED", "SKIPPED", "DEAD");

  private static final String SQL = """
      SELECT 'claim' AS kind, state, count(*) AS n,
             COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_seconds
        FROM claim GROUP BY state
      UNION ALL
      SELECT 'delivery', state, count(*), 0::float8 FROM delivery GROUP BY state
      """;

  /** Counts by state (every state present, 0 when none) and the oldest pending claim's age in seconds. */
  public record Snapshot(Map<String, Long> claims, Map<String, Long> deliveries, double oldestPendingClaimSeconds) {}

  private final Pool pool;

  public StateCounts(Pool pool) {
    this.pool = pool;
  }

  public Future<Snapshot> read() {
    return pool.query(SQL).execute().map(rows -> {
      Map<String, Long> claims = zeros(CLAIM_STATES);
      Map<String, Long> deliveries = zeros(DELIVERY_STATES);
      double oldestClaim = 0;
      for (Row r : rows) {
        boolean claim = "claim".equals(r.getString("kind"));
        String state = r.getString("state");
        (claim ? claims : deliveries).put(state, r.getLong("n"));
        if (claim && "PENDING".equals(state)) {
          oldestClaim = r.getDouble("oldest_seconds");
        }
      }
      return new Snapshot(claims, deliveries, oldestClaim);
    });
  }

  private static Map<String, Long> zeros(List<String> states) {
    Map<String, Long> m = new LinkedHashMap<>();
    states.forEach(s -> m.put(s, 0L));
    return m;
  }
}
