package org.omspush.store.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/**
 * A delivery queue's statistics are often taken when nothing is pending (a quiet night) and used
 * when a backlog has built up. Recording an answer must still find its rows by id, not by walking
 * every pending row: the plan is checked as Postgres caches it for the pool's prepared statements.
 */
class DeliveryPlansTest {
  static DatabaseUrl db;
  static String leased;

  @BeforeAll
  static void aBacklogWithStatisticsFromWhenNothingWasPending() {
    db = TestDatabase.fresh();
    TestDatabase.execute(db, "INSERT INTO subscriber (id, url, event_types) SELECT gen_random_uuid(), "
        + "'https://hooks.example.com/' || g, '{market.event}' FROM generate_series(1, 10) g");
    TestDatabase.execute(db, marketEvents(500));
    TestDatabase.execute(db, "UPDATE delivery SET state = 'DELIVERED', attempts = 1, delivered_at = now()");
    TestDatabase.execute(db, "ANALYZE delivery");
    TestDatabase.execute(db, marketEvents(500));
    leased = (String) TestDatabase.rows(db, "WITH l AS (UPDATE delivery SET lease_owner = 'w', attempts = 1, "
        + "lease_until = now() + interval '1 minute' WHERE id IN (SELECT id FROM delivery WHERE state = 'PENDING' "
        + "LIMIT 12) RETURNING id) SELECT array_agg(id)::text AS ids FROM l").get(0).get("ids");
  }

  private static String marketEvents(int n) {
    return "INSERT INTO event (id, type, subject, time, market, event_type, data) SELECT gen_random_uuid(), "
        + "'market.event', 'DAM', now(), 'DAM', 'MARKET_DELAY', '{}' FROM generate_series(1, " + n + ")";
  }

  @Test
  void recording_2xx_answers_looks_the_deliveries_up_by_id_whatever_the_statistics_say() throws SQLException {
    List<String> plan = TestDatabase.plan(db, "force_generic_plan", false,
        "dl(uuid[], int[], int[], text)", FanoutSql.DELIVERED,
        "dl('" + leased + "', array_fill(1, ARRAY[12]), array_fill(204, ARRAY[12]), 'w')");

    assertThat(String.join("\n", plan)).contains("delivery_pkey").doesNotContain("delivery_next_idx")
        .doesNotContain("Seq Scan on delivery");
  }

  @Test
  void recording_a_failed_attempt_looks_the_delivery_up_by_id_whatever_the_statistics_say() throws SQLException {
    String one = leased.substring(1, 37);
    List<String> plan = TestDatabase.plan(db, "force_generic_plan", false,
        "fl(uuid, text, int, boolean, bigint, int, text, text, boolean, int, bigint, bigint, text)", FanoutSql.FAILED,
        "fl('" + one + "', 'w', 1, false, 5000, 500, 'HTTP 500', 'oops', true, 10, 30000, 600000, NULL)");

    assertThat(String.join("\n", plan)).contains("delivery_pkey").doesNotContain("delivery_next_idx")
        .doesNotContain("Seq Scan on delivery");
  }

  @Test
  void a_delivery_holds_a_lease_only_while_it_is_pending() {
    // what lets the answers be recorded by lease alone: a lease on any other state is refused
    String id = leased.substring(1, 37);

    assertThatThrownBy(() -> TestDatabase.execute(db,
        "UPDATE delivery SET state = 'DELIVERED' WHERE id = ?::uuid", id))
        .rootCause().hasMessageContaining("delivery_lease_only_pending");
    assertThat(TestDatabase.count(db, "delivery", "id = ?::uuid AND state = 'PENDING' AND lease_owner = 'w'", id))
        .isEqualTo(1);
    assertThat(TestDatabase.rows(db, "SELECT convalidated FROM pg_constraint WHERE conname = 'delivery_lease_only_pending'"))
        .as("validated for the rows written before it (V10)").containsExactly(java.util.Map.of("convalidated", true));
  }
}
