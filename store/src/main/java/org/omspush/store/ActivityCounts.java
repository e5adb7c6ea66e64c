package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The few counts the operator console shows that no admin API endpoint answers: activity over the
 * last hour and day, per hour for its charts, and each subscriber's health. Read only, on the
 * database clock; meant for a page view, not a scrape (each reads the last day of two tables).
 */
public final class ActivityCounts {
  /**
   * One pass over each table's last 24 hours. Pushes exclude what catch-up stored (its message ids
   * start with catch-up:).
   */
  private static final String WINDOWS = """
      WITH m AS (
        SELECT count(*) FILTER (WHERE received_at > now() - interval '1 hour' AND message_id NOT LIKE 'catch-up:%')
                 AS pushes_1h,
               count(*) FILTER (WHERE message_id NOT LIKE 'catch-up:%') AS pushes_24h,
               count(*) FILTER (WHERE received_at > now() - interval '1 hour' AND message_id LIKE 'catch-up:%')
                 AS caught_up_1h,
               count(*) FILTER (WHERE message_id LIKE 'catch-up:%') AS caught_up_24h
          FROM inbound_message WHERE received_at > now() - interval '24 hours'),
      d AS (
        SELECT count(*) FILTER (WHERE state = 'DELIVERED' AND delivered_at > now() - interval '1 hour')
                 AS delivered_1h,
               count(*) FILTER (WHERE state = 'DELIVERED' AND delivered_at > now() - interval '24 hours')
                 AS delivered_24h,
               count(*) FILTER (WHERE state = 'DEAD' AND updated_at > now() - interval '1 hour') AS dead_1h,
               count(*) FILTER (WHERE state = 'DEAD') AS dead_24h
          FROM delivery WHERE updated_at > now() - interval '24 hours')
      SELECT * FROM m, d
      """;

  /** Per hour over the last 24 (pushes as above): one pass over each table, hours without any counted as 0. */
  private static final String HOURLY = """
      WITH h AS (
        SELECT generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()),
                               interval '1 hour') AS hour),
      p AS (
        SELECT date_trunc('hour', received_at) AS hour, count(*) AS n FROM inbound_message
         WHERE received_at >= date_trunc('hour', now()) - interval '23 hours' AND message_id NOT LIKE 'catch-up:%'
         GROUP BY 1),
      d AS (
        SELECT date_trunc('hour', delivered_at) AS hour, count(*) AS n FROM delivery
         WHERE state = 'DELIVERED' AND delivered_at >= date_trunc('hour', now()) - interval '23 hours' GROUP BY 1)
      SELECT h.hour, COALESCE(p.n, 0) AS pushes, COALESCE(d.n, 0) AS delivered
        FROM h LEFT JOIN p USING (hour) LEFT JOIN d USING (hour) ORDER BY h.hour
      """;

  private static final String HEALTH = """
      SELECT subscriber_id,
             count(*) FILTER (WHERE state = 'PENDING') AS pending,
             count(*) FILTER (WHERE state = 'DEAD') AS dead,
             max(delivered_at) AS last_success
        FROM delivery GROUP BY subscriber_id
      """;

  public record Window(long pushes, long caughtUp, long delivered, long dead) {}

  public record Hour(OffsetDateTime hour, long pushes, long delivered) {}

  public record Health(long pending, long dead, OffsetDateTime lastSuccess) {
    public static final Health NONE = new Health(0, 0, null);
  }

  private final Pool pool;

  public ActivityCounts(Pool pool) {
    this.pool = pool;
  }

  /** Keyed 1h and 24h. */
  public Future<Map<String, Window>> windows() {
    return pool.query(WINDOWS).execute().map(rows -> {
      Row r = rows.iterator().next();
      Map<String, Window> out = new HashMap<>();
      for (String w : new String[] {"1h", "24h"}) {
        out.put(w, new Window(r.getLong("pushes_" + w), r.getLong("caught_up_" + w), r.getLong("delivered_" + w),
            r.getLong("dead_" + w)));
      }
      return out;
    });
  }

  /** The last 24 hours, oldest first, each present. */
  public Future<List<Hour>> hourly() {
    return pool.query(HOURLY).execute().map(rows -> {
      List<Hour> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(new Hour(r.getOffsetDateTime("hour"), r.getLong("pushes"), r.getLong("delivered")));
      }
      return out;
    });
  }

  /** Subscribers without any delivery are absent. */
  public Future<Map<UUID, Health>> health() {
    return pool.query(HEALTH).execute().map(rows -> {
      Map<UUID, Health> out = new HashMap<>();
      for (Row r : rows) {
        out.put(r.getUUID("subscriber_id"), new Health(r.getLong("pending"), r.getLong("dead"),
            r.getOffsetDateTime("last_success")));
      }
      return out;
    });
  }
}
