package org.omspush.store.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/**
 * The claim's first step asks, per subscriber, whether it has a due delivery. The table is mostly
 * delivered rows, written before the pending ones; a plan that scans the table for the first due
 * row reads all of those first, every claim (it made each claim ~100 ms and the fan-out's tail
 * half a second). The probe must go through the pending-queue index, whichever plan Postgres caches.
 */
class ClaimPlansTest {
  static DatabaseUrl db;

  @BeforeAll
  static void aQueueOfDeliveredRowsWithTheBacklogAtItsEnd() {
    db = TestDatabase.fresh();
    TestDatabase.execute(db, "INSERT INTO subscriber (id, url, event_types) SELECT gen_random_uuid(), "
        + "'https://hooks.example.com/' || g, '{market.event}' FROM generate_series(1, 10) g");
    TestDatabase.execute(db, "INSERT INTO event (id, type, subject, time, market, event_type, data, created_at) "
        + "SELECT gen_random_uuid(), 'market.event', 'DAM', now(), 'DAM', 'MARKET_DELAY', '{}', "
        + "now() - (10000 - g) * interval '1 millisecond' FROM generate_series(1, 10000) g");
    TestDatabase.execute(db, "UPDATE delivery SET state = 'DELIVERED', attempts = 1, delivered_at = now() "
        + "WHERE id IN (SELECT id FROM delivery ORDER BY event_created_at LIMIT 80000)");
    TestDatabase.execute(db, "VACUUM ANALYZE delivery");
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "force_generic_plan", "force_custom_plan"})
  void looking_for_subscribers_with_due_work_probes_the_pending_index(String planCache) throws SQLException {
    String plan = String.join("\n",
        TestDatabase.plan(db, planCache, false, "ls(int)", FanoutSql.LOCK_SUBSCRIBERS, "ls(256)"));

    assertThat(plan).doesNotContain("Seq Scan on delivery").contains("delivery_next_idx");
  }
}
