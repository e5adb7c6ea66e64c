package org.omspush.receiver.console;

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
 * The few counts the console shows that no admin API endpoint answers: activity over the last hour
 * and day, per hour for the charts, and each subscriber's health. Read only, on the database clock.
 */
final class ConsoleQueries {
  /** Pushes exclude what catch-up stored (its message ids start with catch-up:). */
  private static final String WINDOWS = """
      SELECT w.label,
             (SELECT count(*) FROM inbound_message m WHERE m.received_at > now() - w.span
                AND m.message_id NOT LIKE 'catch-up:%') AS pushes,
             (SELECT count(*) FROM inbound_message m WHERE m.received_at > now() - w.span
                AND m.message_id LIKE 'catch-up:%') AS caught_up,
             (SELECT count(*) FROM delivery d WHERE d.state = 'DELIVERED' AND d.delivered_at > now() - w.span)
                AS delivered,
             (SELECT count(*) FROM delivery d WHERE d.state = 'DEAD' AND d.updated_at > now() - w.span) AS dead
        FROM (VALUES ('1h', interval '1 hour'), ('24h', interval '24 hours')) AS w(label, span)
      """;

  private static final String HOURLY = """
      SELECT h.hour,
             (SELECT count(*) FROM inbound_message m WHERE m.received_at >= h.hour
                AND m.received_at < h.hour + interval '1 hour') AS pushes,
             (SELECT count(*) FROM delivery d WHERE d.state = 'DELIVERED' AND d.delivered_at >= h.hour
                AND d.delivered_at < h.hour + interval '1 hour') AS delivered
        FROM generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()),
                             interval '1 hour') AS h(hour)
       ORDER BY h.hour
      """;

  private static final String HEALTH = """
      SELECT subscriber_id,
             count(*) FILTER (WHERE state = 'PENDING') AS pending,
             count(*) FILTER (WHERE state = 'DEAD') AS dead,
             max(delivered_at) AS last_success
        FROM delivery GROUP BY subscriber_id
      """;

  record Window(long pushes, long caughtUp, long delivered, long dead) {}

  record Hour(OffsetDateTime hour, long pushes, long delivered) {}

  record Health(long pending, long dead, OffsetDateTime lastSuccess) {
    static final Health NONE = new Health(0, 0, null);
  }

  private final Pool pool;

  ConsoleQueries(Pool pool) {
    this.pool = pool;
  }

  Future<Map<String, Window>> windows() {
    return pool.query(WINDOWS).execute().map(rows -> {
      Map<String, Window> out = new HashMap<>();
      for (Row r : rows) {
        out.put(r.getString("label"), new Window(r.getLong("pushes"), r.getLong("caught_up"),
            r.getLong("delivered"), r.getLong("dead")));
      }
      return out;
    });
  }

  Future<List<Hour>> hourly() {
    return pool.query(HOURLY).execute().map(rows -> {
      List<Hour> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(new Hour(r.getOffsetDateTime("hour"), r.getLong("pushes"), r.getLong("delivered")));
      }
      return out;
    });
  }

  Future<Map<UUID, Health>> health() {
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
