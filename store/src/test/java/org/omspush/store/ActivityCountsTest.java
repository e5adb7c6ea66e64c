package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;

import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.TestDatabase;

/** The console's activity counts on real Postgres: windows by arrival time, catch-up apart, every hour present. */
class ActivityCountsTest {
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(4);
  private DatabaseUrl db;
  private Pool pool;
  private PushStore store;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    store = new PushStore(pool);
  }

  private void push(String messageId, String mrid) {
    await(store.storeOutageChange(message(messageId, "doc-" + messageId), outage(mrid, 1)));
  }

  @Test
  void pushes_are_counted_by_when_they_arrived_and_catch_up_apart() {
    push("m-now", "OUT-1");
    push("m-3h", "OUT-2");
    push("m-2d", "OUT-3");
    push("catch-up:OUT-4:1", "OUT-4");
    TestDatabase.execute(db, "update inbound_message set received_at = now() - interval '3 hours' "
        + "where message_id = 'm-3h'");
    TestDatabase.execute(db, "update inbound_message set received_at = now() - interval '2 days' "
        + "where message_id = 'm-2d'");
    ActivityCounts counts = new ActivityCounts(pool);

    Map<String, ActivityCounts.Window> w = await(counts.windows());
    assertThat(w.get("1h")).isEqualTo(new ActivityCounts.Window(1, 1, 0, 0));
    assertThat(w.get("24h")).isEqualTo(new ActivityCounts.Window(2, 1, 0, 0));

    List<ActivityCounts.Hour> hours = await(counts.hourly());
    assertThat(hours).hasSize(24);
    for (int i = 1; i < hours.size(); i++) {
      assertThat(hours.get(i).hour()).isEqualTo(hours.get(i - 1).hour().plusHours(1));
    }
    assertThat(hours.stream().mapToLong(ActivityCounts.Hour::pushes).sum()).as("catch-up apart, 2 days ago out")
        .isEqualTo(2);
    assertThat(hours.get(23).pushes()).isEqualTo(1);
    assertThat(await(counts.health())).isEmpty();
  }
}
