package org.omspush.store.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.execute;
import static org.omspush.store.testing.TestDatabase.queryLong;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.ClaimCheck;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.InboundMessage;
import org.omspush.store.OutageChange;
import org.omspush.store.Pools;
import org.omspush.store.PushStore;
import org.omspush.store.StoreOutcome;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.RetentionRows;
import org.omspush.store.testing.TestDatabase;

class RetentionStoreTest {
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(4);
  private DatabaseUrl db;
  private Pool pool;
  private RetentionStore store;
  private RetentionRows rows;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    store = new RetentionStore(pool);
    rows = new RetentionRows(db);
  }

  private boolean exists(String table, Object id) {
    return count(db, table, "id = ?", id) == 1;
  }

  // ---------------------------------------------------------------- deliveries

  @Test
  void finished_deliveries_go_after_their_age_pending_ones_never_and_dead_ones_after_their_own_age() {
    UUID event = rows.marketEventOutbox(null, null, null);
    UUID deliveredOld = rows.delivery(event, rows.subscriber(), "DELIVERED");
    UUID skippedOld = rows.delivery(event, rows.subscriber(), "SKIPPED");
    UUID deliveredRecent = rows.delivery(event, rows.subscriber(), "DELIVERED");
    UUID pendingAncient = rows.delivery(event, rows.subscriber(), "PENDING");
    UUID dead = rows.delivery(event, rows.subscriber(), "DEAD");
    rows.makeOld("delivery", 8, "id IN (?, ?, ?)", deliveredOld, skippedOld, dead);
    rows.makeOld("delivery", 6, "id = ?", deliveredRecent);
    rows.makeOld("delivery", 3650, "id = ?", pendingAncient);

    RetentionRun run = await(store.run(RetentionPolicy.defaults()));

    assertThat(run.deleted(RetentionRun.DELIVERY)).isEqualTo(2);
    assertThat(exists("delivery", deliveredOld)).isFalse();
    assertThat(exists("delivery", skippedOld)).isFalse();
    assertThat(exists("delivery", deliveredRecent)).as("younger than 7 days").isTrue();
    assertThat(exists("delivery", pendingAncient)).as("pending, however old").isTrue();
    assertThat(exists("delivery", dead)).as("dead letters keep for 30 days").isTrue();
    assertThat(exists("event", event)).as("still referenced").isTrue();

    rows.makeOld("delivery", 31, "id = ?", dead);
    RetentionRun later = await(store.run(RetentionPolicy.defaults()));
    assertThat(later.deleted(RetentionRun.DELIVERY)).isEqualTo(1);
    assertThat(exists("delivery", dead)).isFalse();
    assertThat(exists("delivery", pendingAncient)).isTrue();
    assertThat(exists("event", event)).isTrue();
  }

  @Test
  void a_delivered_version_stays_while_an_older_version_of_its_outage_is_pending_for_that_subscriber() {
    UUID subscriber = rows.subscriber();
    UUID v1 = rows.outageEvent("OUT-1", 1, null, null, null);
    UUID v2 = rows.outageEvent("OUT-1", 2, null, null, null);
    UUID pendingV1 = rows.delivery(v1, subscriber, "PENDING");
    UUID deliveredV2 = rows.delivery(v2, subscriber, "DELIVERED");
    UUID otherSubscriberV2 = rows.delivery(v2, rows.subscriber(), "DELIVERED");
    rows.makeOld("delivery", 30, null);

    await(store.run(RetentionPolicy.defaults()));
    assertThat(exists("delivery", deliveredV2)).as("marks the pending v1 superseded").isTrue();
    assertThat(exists("delivery", otherSubscriberV2)).as("another subscriber's").isFalse();

    execute(db, "UPDATE delivery SET state = 'SKIPPED' WHERE id = ?", pendingV1);
    rows.makeOld("delivery", 30, null);
    await(store.run(RetentionPolicy.defaults()));
    assertThat(count(db, "delivery")).isZero();
  }

  // ---------------------------------------------------------------- events and payloads

  @Test
  void unreferenced_events_go_but_the_newest_of_each_outage_and_referenced_ones_stay() {
    long payloadOfOldEvent = rows.payload();
    long payloadOfNewest = rows.payload();
    long payloadOfClaim = rows.payload();
    long payloadUnreferencedRecent = rows.payload();
    long payloadUnreferencedOld = rows.payload();
    UUID marketOld = rows.marketEventOutbox(payloadOfOldEvent, null, null);
    UUID marketWithPending = rows.marketEventOutbox(null, null, null);
    rows.delivery(marketWithPending, rows.subscriber(), "PENDING");
    UUID outageV1 = rows.outageEvent("OUT-1", 1, null, null, null);
    UUID outageV2 = rows.outageEvent("OUT-1", 2, payloadOfNewest, null, null);
    UUID marketRecent = rows.marketEventOutbox(null, null, null);
    long claim = rows.outageClaim("OUT-9", 1, "REDEEMED");
    rows.claimPayload(claim, payloadOfClaim);
    rows.makeAllOld(31);
    rows.makeOld("event", 29, "id = ?", marketRecent);
    rows.makeOld("payload", 29, "id = ?", payloadUnreferencedRecent);
    rows.makeOld("delivery", 3650, null);

    RetentionRun run = await(store.run(RetentionPolicy.defaults()));

    assertThat(run.deleted(RetentionRun.EVENT)).isEqualTo(2);
    assertThat(exists("event", marketOld)).isFalse();
    assertThat(exists("event", outageV1)).isFalse();
    assertThat(exists("event", outageV2)).as("the newest of its outage").isTrue();
    assertThat(exists("event", marketWithPending)).as("a pending delivery refers to it").isTrue();
    assertThat(exists("event", marketRecent)).as("younger than 30 days").isTrue();
    assertThat(run.deleted(RetentionRun.PAYLOAD)).as("freed by the event deleted in the same run").isEqualTo(2);
    assertThat(exists("payload", payloadOfOldEvent)).isFalse();
    assertThat(exists("payload", payloadUnreferencedOld)).isFalse();
    assertThat(exists("payload", payloadOfNewest)).isTrue();
    assertThat(exists("payload", payloadOfClaim)).as("a claim refers to it").isTrue();
    assertThat(exists("payload", payloadUnreferencedRecent)).isTrue();
  }

  @Test
  void an_older_version_is_not_published_after_the_events_are_cleaned_up() {
    rows.outageEvent("OUT-1", 1, null, null, null);
    rows.outageEvent("OUT-1", 2, null, null, null);
    rows.outageEvent("OUT-1", 3, null, null, null);
    rows.makeAllOld(365);

    await(store.run(RetentionPolicy.defaults()));

    assertThat(count(db, "event")).isEqualTo(1);
    // What COMPLETE_OUTAGE asks before it publishes version 2:
    assertThat(count(db, "event", "outage_mrid = 'OUT-1' AND outage_version >= 2")).isEqualTo(1);
  }

  // ---------------------------------------------------------------- claims, market events, messages

  @Test
  void finished_claims_go_but_pending_referenced_and_newest_per_outage_stay() {
    long superseded = rows.outageClaim("OUT-1", 1, "SUPERSEDED");
    long redeemed = rows.outageClaim("OUT-1", 2, "REDEEMED");
    long dead = rows.outageClaim("OUT-1", 3, "DEAD");
    long pending = rows.outageClaim("OUT-1", 4, "PENDING");
    long pendingNotNewest = rows.outageClaim("OUT-6", 1, "PENDING");
    rows.outageClaim("OUT-6", 2, "REDEEMED");
    long newestOfOther = rows.outageClaim("OUT-2", 5, "REDEEMED");
    long sameVersionFirst = rows.outageClaim("OUT-3", 1, "SUPERSEDED");
    long sameVersionLast = rows.outageClaim("OUT-3", 1, "SUPERSEDED");
    long referenced = rows.outageClaim("OUT-4", 1, "REDEEMED");
    rows.outageClaim("OUT-4", 2, "REDEEMED");
    rows.outageEvent("OUT-4", 1, null, null, referenced);
    long recent = rows.outageClaim("OUT-5", 1, "SUPERSEDED");
    rows.outageClaim("OUT-5", 2, "REDEEMED");
    long keptMessage = queryLong(db, "SELECT inbound_message_id FROM claim WHERE id = ?", pending);
    long freedMessage = queryLong(db, "SELECT inbound_message_id FROM claim WHERE id = ?", superseded);
    rows.makeAllOld(91);
    rows.makeOld("claim", 89, "id = ?", recent);
    // the event that refers to a claim is young: it stays, and so does the claim
    rows.makeOld("event", 1, null);

    RetentionRun run = await(store.run(RetentionPolicy.defaults()));

    assertThat(exists("claim", superseded)).isFalse();
    assertThat(exists("claim", redeemed)).isFalse();
    assertThat(exists("claim", dead)).isFalse();
    assertThat(exists("claim", sameVersionFirst)).isFalse();
    assertThat(run.deleted(RetentionRun.CLAIM)).isEqualTo(4);
    assertThat(exists("claim", pending)).as("pending, however old").isTrue();
    assertThat(exists("claim", pendingNotNewest)).as("pending, even with a newer one").isTrue();
    assertThat(exists("claim", newestOfOther)).as("the newest of its outage").isTrue();
    assertThat(exists("claim", sameVersionLast)).as("of equal versions the last").isTrue();
    assertThat(exists("claim", referenced)).as("an event refers to it").isTrue();
    assertThat(exists("claim", recent)).as("younger than 90 days").isTrue();
    assertThat(exists("inbound_message", freedMessage)).as("its claim is gone").isFalse();
    assertThat(exists("inbound_message", keptMessage)).as("its claim is pending").isTrue();
    assertThat(run.deleted(RetentionRun.INBOUND_MESSAGE)).isEqualTo(4);
    assertThat(count(db, "outage")).as("outage rows are kept").isEqualTo(6);
  }

  @Test
  void a_repush_of_an_older_version_after_clean_up_is_still_superseded() {
    PushStore pushes = new PushStore(pool);
    OffsetDateTime modified = OffsetDateTime.parse("2026-11-21T17:03:12Z");
    for (int v = 1; v <= 3; v++) {
      StoreOutcome stored = await(pushes.storeOutageChange(message("m-" + v), new OutageChange("OUT-1", "RESOURCE", v,
          "APPROVED", null, modified.plusSeconds(v), new ClaimCheck("t" + v, PushStore.DEFAULT_OUTAGE_SERVICE, null))));
      assertThat(stored).isEqualTo(StoreOutcome.STORED);
    }
    execute(db, "UPDATE claim SET state = 'REDEEMED' WHERE version = 3");
    rows.makeAllOld(365);

    await(store.run(RetentionPolicy.defaults()));
    assertThat(count(db, "claim")).isEqualTo(1);
    assertThat(count(db, "inbound_message")).isEqualTo(1);

    // the ISO pushes version 2 again under its old MessageID: its row is gone, so it is stored as new ...
    assertThat(await(pushes.storeOutageChange(message("m-2"), new OutageChange("OUT-1", "RESOURCE", 2, "APPROVED",
        null, modified, new ClaimCheck("t2", PushStore.DEFAULT_OUTAGE_SERVICE, null))))).isEqualTo(StoreOutcome.STORED);
    // ... but the newest claim is still there, so it is superseded on arrival, not redeemed
    assertThat(count(db, "claim", "version = 2 AND state = 'SUPERSEDED'")).isEqualTo(1);
    assertThat(count(db, "claim", "state = 'PENDING'")).isZero();
  }

  @Test
  void market_events_go_with_their_finished_claim_and_stay_with_a_pending_one() {
    long done = rows.marketEvent();
    long doneClaim = rows.marketClaim(done, "REDEEMED");
    long waiting = rows.marketEvent();
    long waitingClaim = rows.marketClaim(waiting, "PENDING");
    long noClaim = rows.marketEvent();
    long recent = rows.marketEvent();
    long lonelyOld = rows.message();
    long lonelyRecent = rows.message();
    rows.makeAllOld(91);
    rows.makeOld("market_event", 80, "id = ?", recent);
    rows.makeOld("inbound_message", 80, "id IN (?, (SELECT inbound_message_id FROM market_event WHERE id = ?))",
        lonelyRecent, recent);

    RetentionRun run = await(store.run(RetentionPolicy.defaults()));

    assertThat(exists("claim", doneClaim)).isFalse();
    assertThat(exists("market_event", done)).isFalse();
    assertThat(exists("market_event", noClaim)).isFalse();
    assertThat(exists("claim", waitingClaim)).isTrue();
    assertThat(exists("market_event", waiting)).isTrue();
    assertThat(exists("market_event", recent)).isTrue();
    assertThat(run.deleted(RetentionRun.MARKET_EVENT)).isEqualTo(2);
    assertThat(exists("inbound_message", lonelyOld)).isFalse();
    assertThat(exists("inbound_message", lonelyRecent)).isTrue();
    // done's, noClaim's and lonelyOld; waiting's (its claim) and recent's stay
    assertThat(run.deleted(RetentionRun.INBOUND_MESSAGE)).isEqualTo(3);
    assertThat(count(db, "inbound_message")).isEqualTo(3);
  }

  // ---------------------------------------------------------------- off

  @Test
  void off_keeps_everything_and_each_age_can_be_off_on_its_own() {
    UUID event = rows.marketEventOutbox(rows.payload(), rows.message(), null);
    rows.delivery(event, rows.subscriber(), "DELIVERED");
    rows.delivery(event, rows.subscriber(), "DEAD");
    rows.outageClaim("OUT-1", 1, "SUPERSEDED");
    rows.outageClaim("OUT-1", 2, "REDEEMED");
    rows.marketEvent();
    rows.makeAllOld(3650);

    RetentionRun none = await(store.run(RetentionPolicy.keepForever()));
    assertThat(none.total()).isZero();
    RetentionRun zeros = await(store.run(new RetentionPolicy(Duration.ZERO, Duration.ZERO, Duration.ZERO,
        Duration.ZERO)));
    assertThat(zeros.total()).isZero();
    assertThat(count(db, "delivery")).isEqualTo(2);
    assertThat(count(db, "claim")).isEqualTo(2);

    // only the dead letters' age on: the delivered one stays, so the event and its payload stay too
    RetentionRun deadOnly = await(store.run(new RetentionPolicy(null, Duration.ofDays(30), Duration.ofDays(30),
        null)));
    assertThat(deadOnly.deleted(RetentionRun.DELIVERY)).isEqualTo(1);
    assertThat(count(db, "delivery", "state = 'DELIVERED'")).isEqualTo(1);
    assertThat(count(db, "event")).isEqualTo(1);
    assertThat(count(db, "payload")).isEqualTo(1);
    assertThat(count(db, "claim")).isEqualTo(2);
    assertThat(deadOnly.deleted(RetentionRun.CLAIM) + deadOnly.deleted(RetentionRun.INBOUND_MESSAGE)).isZero();
  }

  // ---------------------------------------------------------------- batches

  private void oldDeliveredDeliveries(int n) {
    UUID subscriber = rows.subscriber();
    execute(db, "INSERT INTO event (id, type, subject, time, data) SELECT gen_random_uuid(), 'market.event', 's', now(),"
        + " '{}'::jsonb FROM generate_series(1, ?)", n);
    execute(db, "INSERT INTO delivery (event_id, subscriber_id, event_created_at, state) SELECT id, ?, created_at,"
        + " 'DELIVERED' FROM event", subscriber);
    rows.makeOld("delivery", 8, null);
  }

  @Test
  void more_rows_than_one_batch_are_all_deleted_in_batches_of_a_thousand() {
    oldDeliveredDeliveries(2_500);

    RetentionRun run = await(store.run(RetentionPolicy.defaults()));

    assertThat(run.deleted(RetentionRun.DELIVERY)).isEqualTo(2_500);
    assertThat(run.capped()).isEmpty();
    assertThat(count(db, "delivery")).isZero();
    // the events are young: only their deliveries went
    assertThat(count(db, "event")).isEqualTo(2_500);
  }

  @Test
  void the_batches_per_run_are_capped_and_the_rest_waits_for_the_next_run() {
    oldDeliveredDeliveries(25);
    RetentionStore small = new RetentionStore(pool, 10, 2);

    RetentionRun first = await(small.run(RetentionPolicy.defaults()));
    assertThat(first.deleted(RetentionRun.DELIVERY)).isEqualTo(20);
    assertThat(first.capped()).containsExactly(RetentionRun.DELIVERY);
    assertThat(count(db, "delivery")).isEqualTo(5);

    RetentionRun second = await(small.run(RetentionPolicy.defaults()));
    assertThat(second.deleted(RetentionRun.DELIVERY)).isEqualTo(5);
    assertThat(second.capped()).isEmpty();
    assertThat(count(db, "delivery")).isZero();
  }

  @Test
  void a_run_told_to_stop_ends_after_the_batch_in_progress() {
    oldDeliveredDeliveries(25);
    RetentionStore small = new RetentionStore(pool, 10, 100);
    int[] asked = {0};

    RetentionRun run = await(small.run(RetentionPolicy.defaults(), () -> ++asked[0] > 1));

    assertThat(run.cancelled()).isTrue();
    assertThat(run.deleted(RetentionRun.DELIVERY)).isEqualTo(10);
    assertThat(count(db, "delivery")).isEqualTo(15);
  }

  @Test
  void a_failing_batch_fails_the_run() {
    execute(db, "ALTER TABLE payload RENAME TO payload_gone");
    Throwable failure = failureOf(store.run(RetentionPolicy.defaults()));
    assertThat(failure).hasMessageContaining("payload");
  }

  @Test
  void no_reference_check_of_a_delete_needs_a_sequential_scan() throws Exception {
    // With sequential scans priced out, a plan still shows one only where no index can serve: the
    // candidate scan of the table deleted from may (delivery has no age index, on purpose), nothing else.
    record Expected(String table, String alias) {}
    var candidates = java.util.Map.of(
        RetentionSql.DELETE_FINISHED_DELIVERIES, new Expected("delivery", "d"),
        RetentionSql.DELETE_DEAD_DELIVERIES, new Expected("delivery", "d"),
        RetentionSql.DELETE_EVENTS, new Expected("event", "e"),
        RetentionSql.DELETE_CLAIMS, new Expected("claim", "c"),
        RetentionSql.DELETE_MARKET_EVENTS, new Expected("market_event", "m"),
        RetentionSql.DELETE_PAYLOADS, new Expected("payload", "p"),
        RetentionSql.DELETE_INBOUND_MESSAGES, new Expected("inbound_message", "m"));
    assertThat(candidates).hasSize(RetentionSql.DELETES.size());
    try (java.sql.Connection c = TestDatabase.connect(db); java.sql.Statement st = c.createStatement()) {
      st.execute("SET enable_seqscan = off");
      for (var entry : candidates.entrySet()) {
        String sql = entry.getKey().replace("$1", "86400").replace("$2", "1000");
        List<String> plan = new ArrayList<>();
        try (java.sql.ResultSet r = st.executeQuery("EXPLAIN (COSTS OFF) " + sql)) {
          while (r.next()) {
            plan.add(r.getString(1));
          }
        }
        Expected own = entry.getValue();
        assertThat(plan.stream().filter(l -> l.contains("Seq Scan")).toList())
            .as("sequential scans in the plan of%n%s%n%s", sql, String.join("\n", plan))
            .allSatisfy(l -> assertThat(l.strip()).endsWith("Seq Scan on " + own.table() + " " + own.alias()));
      }
    }
  }

  // ---------------------------------------------------------------- the lease

  @Test
  void of_replicas_racing_for_the_lease_only_one_gets_it_until_it_runs_out() {
    Pool other = Pools.create(fresh.vertx(), db, 4);
    try {
      RetentionStore replicaB = new RetentionStore(other);
      List<Future<Boolean>> takers = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        RetentionStore s = i % 2 == 0 ? store : replicaB;
        takers.add(s.takeLease(RetentionStore.LEASE, "replica-" + i, Duration.ofHours(1)));
      }
      List<Boolean> taken = takers.stream().map(RetentionStoreTest::await).toList();
      assertThat(taken.stream().filter(t -> t).count()).isEqualTo(1);
      String holder = "replica-" + taken.indexOf(true);
      assertThat(queryLong(db, "SELECT count(*) FROM maintenance_lease WHERE owner = ?"
          + " AND lease_until BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes'", holder))
          .as("an hour on the database clock").isEqualTo(1);

      assertThat(await(replicaB.takeLease(RetentionStore.LEASE, "replica-x", Duration.ofHours(1)))).isFalse();
      assertThat(await(store.takeLease(RetentionStore.LEASE, holder, Duration.ofHours(1))))
          .as("the holder keeps it from one interval to the next").isTrue();
      assertThat(await(store.takeLease("another-task", "replica-x", Duration.ofHours(1))))
          .as("leases are per name").isTrue();

      // the holder died: its lease runs out on the database clock and another replica takes it over
      execute(db, "UPDATE maintenance_lease SET lease_until = now() - interval '1 second' WHERE name = ?",
          RetentionStore.LEASE);
      assertThat(await(replicaB.takeLease(RetentionStore.LEASE, "replica-x", Duration.ofHours(1)))).isTrue();
      assertThat(queryLong(db, "SELECT count(*) FROM maintenance_lease WHERE name = ? AND owner = 'replica-x'",
          RetentionStore.LEASE)).isEqualTo(1);
      assertThat(await(store.takeLease(RetentionStore.LEASE, holder, Duration.ofHours(1)))).isFalse();
    } finally {
      await(other.close());
    }
  }

  // ---------------------------------------------------------------- helpers

  private static InboundMessage message(String id) {
    return new InboundMessage(id, "receiveOutageStatusChange_v1", "CN=test", "a".repeat(64),
        ("<doc>" + id + "</doc>").getBytes(StandardCharsets.UTF_8));
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success, got " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("no answer within 30 s", e);
    }
  }

  static Throwable failureOf(Future<?> future) {
    try {
      Object value = future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("no answer within 30 s", e);
    }
  }
}
