package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.failureOf;
import static org.omspush.store.Pushes.marketEvent;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.rows;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.TestDatabase;

/**
 * Group commit: pushes that arrive while earlier ones are being written share one transaction.
 * The earlier ones are held here on an outage row lock, so that the next pushes gather into one
 * batch whatever the machine's speed.
 */
class GroupCommitTest {
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(GroupCommit.CONCURRENT_BATCHES + 4);
  private DatabaseUrl db;
  private Pool pool;
  private PushStore store;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    store = new PushStore(pool);
  }

  @Test
  void one_push_of_a_batch_that_the_database_refuses_fails_alone_and_the_others_are_acked_and_stored()
      throws Exception {
    await(store.storeOutageChange(message("m-held-1", "v1"), outage("OUT-HELD", 1)));
    List<Future<StoreOutcome>> held = new ArrayList<>();
    List<Future<StoreOutcome>> batch = new ArrayList<>();
    Future<StoreOutcome> refused;
    try (Connection holder = TestDatabase.connect(db)) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement(
          "SELECT 1 FROM outage WHERE outage_mrid = 'OUT-HELD' FOR UPDATE")) {
        lock.executeQuery().close();
      }
      // every batch slot waits on the lock…
      for (int i = 0; i < GroupCommit.CONCURRENT_BATCHES; i++) {
        held.add(store.storeOutageChange(message("m-held-" + (i + 2), "v" + (i + 2)), outage("OUT-HELD", i + 2)));
      }
      Thread.sleep(300);
      // …while these gather, one of them with a market event the database refuses (NOT NULL)
      for (int i = 0; i < 4; i++) {
        batch.add(store.storeOutageChange(message("m-o" + i, "o" + i), outage("OUT-" + i, 1)));
      }
      refused = store.storeMarketEvent(message("m-bad", "bad"),
          new MarketEvent("E-BAD", "MARKET_CLOSED", null, null, Pushes.MODIFIED, null, null));
      for (int i = 0; i < 4; i++) {
        batch.add(store.storeMarketEvent(message("m-e" + i, "e" + i), marketEvent("E-" + i, null)));
      }
      assertThat(store.batches()).as("nothing gathered is written while the slots are taken")
          .isEqualTo(1 + GroupCommit.CONCURRENT_BATCHES);
      holder.commit();
    }

    held.forEach(f -> assertThat(await(f)).isEqualTo(StoreOutcome.STORED));
    assertThat(batch.stream().map(Pushes::await).toList()).containsOnly(StoreOutcome.STORED).hasSize(8);
    Throwable failure = failureOf(refused);
    assertThat(failure).isInstanceOf(StoreRejectedException.class);
    assertThat(((StoreRejectedException) failure).sqlState()).isEqualTo("23502");
    assertThat(store.largestBatch()).as("the nine were written together").isEqualTo(9);
    assertThat(store.batches()).as("then the eight again, without the refused one")
        .isEqualTo(1 + GroupCommit.CONCURRENT_BATCHES + 2);

    assertThat(count(db, "inbound_message", "message_id LIKE 'm-o%' OR message_id LIKE 'm-e%'")).isEqualTo(8);
    assertThat(count(db, "inbound_message", "message_id = 'm-bad'")).isZero();
    assertThat(count(db, "claim", "outage_mrid LIKE 'OUT-_' AND state = 'PENDING'")).isEqualTo(4);
    assertThat(count(db, "event", "type = 'market.event'")).isEqualTo(4);
    assertThat(rows(db, "SELECT version FROM claim WHERE outage_mrid = 'OUT-HELD' AND state = 'PENDING'"))
        .as("newest version wins across batches").containsExactly(Map.of("version", 1L + GroupCommit.CONCURRENT_BATCHES));
  }

  @Test
  void a_batch_that_holds_a_message_twice_stores_it_once_and_counts_the_repeat() throws Exception {
    Future<StoreOutcome> first;
    List<Future<StoreOutcome>> gathered = new ArrayList<>();
    await(store.storeOutageChange(message("m-held-1", "v1"), outage("OUT-HELD", 1)));
    List<Future<StoreOutcome>> held = new ArrayList<>();
    try (Connection holder = TestDatabase.connect(db)) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement(
          "SELECT 1 FROM outage WHERE outage_mrid = 'OUT-HELD' FOR UPDATE")) {
        lock.executeQuery().close();
      }
      for (int i = 0; i < GroupCommit.CONCURRENT_BATCHES; i++) {
        held.add(store.storeOutageChange(message("m-held-" + (i + 2), "v" + (i + 2)), outage("OUT-HELD", i + 2)));
      }
      Thread.sleep(300);
      first = store.storeMarketEvent(message("m-twice", "doc"), marketEvent("E-1", null));
      gathered.add(store.storeMarketEvent(message("m-twice", "doc"), marketEvent("E-1", null)));
      gathered.add(store.storeOutageChange(message("m-o", "o"), outage("OUT-A", 3)));
      gathered.add(store.storeOutageChange(message("m-o2", "o2"), outage("OUT-A", 2)));
      holder.commit();
    }
    held.forEach(Pushes::await);

    List<StoreOutcome> outcomes = new ArrayList<>(List.of(await(first)));
    gathered.forEach(f -> outcomes.add(await(f)));
    assertThat(outcomes.subList(0, 2)).containsExactlyInAnyOrder(StoreOutcome.STORED, StoreOutcome.DUPLICATE);
    assertThat(outcomes.subList(2, 4)).containsOnly(StoreOutcome.STORED);
    assertThat(store.largestBatch()).isEqualTo(4);
    assertThat(rows(db, "SELECT duplicate_count FROM inbound_message WHERE message_id = 'm-twice'"))
        .containsExactly(Map.of("duplicate_count", 1));
    assertThat(count(db, "event", "type = 'market.event'")).isEqualTo(1);
    assertThat(rows(db, "SELECT version FROM claim WHERE outage_mrid = 'OUT-A' AND state = 'PENDING'"))
        .as("newest version wins inside a batch").containsExactly(Map.of("version", 3L));
  }
}
