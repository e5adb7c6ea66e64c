package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.fanout.Harness.await;
import static org.omspush.fanout.Harness.eventually;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.omspush.store.fanout.ClaimOptions;
import org.omspush.store.fanout.ClaimedWork;
import org.omspush.store.fanout.DeliveryStore;
import org.omspush.store.fanout.DueDelivery;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.fanout.SuccessfulAttempt;
import org.omspush.store.testing.TestDatabase;

/** How answers are recorded: 2xx answers together, only for leases still held, and leases as HOT updates. */
class DeliveryRecordingTest extends FanoutTestBase {
  @Test
  void a_burst_of_2xx_answers_is_recorded_in_fewer_statements_than_deliveries_each_once() {
    // all due before a worker starts: events written one by one could each be sent and
    // recorded before the next is written, leaving nothing to gather
    fanout = Harness.withoutWorkers(vertx);
    Hook h = hook().answering(r -> Hook.Reply.status(204));
    Subscriber s = fanout.subscribe(SubscriberDraft.of(h.url(), List.of("market.event")).withMaxInFlight(32));
    int events = 60;
    for (int i = 0; i < events; i++) {
      fanout.marketEvent("DAM", "MARKET_DELAY");
    }
    fanout.startWorkers(2);
    eventually("all delivered", () -> fanout.deliveries(s.id(), "DELIVERED") == events);

    Set<String> webhookIds = h.posts().stream().map(r -> r.headers().get("webhook-id")).collect(Collectors.toSet());
    assertThat(webhookIds).as("each delivery sent").hasSize(events);
    assertThat(h.posts()).as("none sent twice").hasSize(events);
    long statements = (long) TestDatabase.rows(fanout.db,
        "SELECT count(DISTINCT delivered_at) AS n FROM delivery WHERE subscriber_id = ?", s.id()).get(0).get("n");
    // delivered_at is the recording transaction's start: one value per statement
    assertThat(statements).as("statements that recorded %d deliveries", events).isLessThan(events);
    assertThat(TestDatabase.count(fanout.db, "delivery", "subscriber_id = ? AND (lease_owner IS NOT NULL"
        + " OR lease_until IS NOT NULL OR last_status <> 204)", s.id())).as("leases cleared, status kept").isZero();
  }

  @Test
  void a_batch_records_only_the_deliveries_whose_lease_this_worker_still_holds() {
    fanout = Harness.withoutWorkers(vertx);
    Hook h = hook();
    Subscriber s = fanout.subscribe(h, "market.event");
    for (int i = 0; i < 3; i++) {
      fanout.marketEvent("DAM", "MARKET_DELAY");
    }
    DeliveryStore store = new DeliveryStore(fanout.pool, fanout.keys);
    ClaimedWork work = await(store.claim(new ClaimOptions("worker-a", 60_000, 10, 10, 10, 100, 1 << 20)));
    assertThat(work.deliveries()).hasSize(3);
    DueDelivery kept = work.deliveries().get(0);
    DueDelivery stolen = work.deliveries().get(1);
    DueDelivery retaken = work.deliveries().get(2);
    // the lease ran out and another worker took it; a later attempt of the same worker's lease
    TestDatabase.execute(fanout.db, "UPDATE delivery SET lease_owner = 'worker-b' WHERE id = ?", stolen.id());
    TestDatabase.execute(fanout.db, "UPDATE delivery SET attempts = attempts + 1 WHERE id = ?", retaken.id());

    Set<UUID> recorded = await(store.delivered(List.of(
        new SuccessfulAttempt(kept.id(), kept.attempt(), 200),
        new SuccessfulAttempt(stolen.id(), stolen.attempt(), 201),
        new SuccessfulAttempt(retaken.id(), retaken.attempt(), 202)), "worker-a"));

    assertThat(recorded).containsExactly(kept.id());
    assertThat(TestDatabase.rows(fanout.db, "SELECT id, state, last_status, lease_owner FROM delivery"
        + " WHERE subscriber_id = ? ORDER BY state, lease_owner", s.id()))
        .extracting(r -> r.get("state") + "/" + r.get("last_status") + "/" + r.get("lease_owner"))
        .containsExactly("DELIVERED/200/null", "PENDING/null/worker-a", "PENDING/null/worker-b");
  }

  @Test
  void a_breaker_that_was_counting_closes_when_a_batch_records_a_2xx() {
    fanout = Harness.withoutWorkers(vertx);
    Hook h = hook();
    Subscriber s = fanout.subscribe(h, "market.event");
    fanout.marketEvent("DAM", "MARKET_DELAY");
    DeliveryStore store = new DeliveryStore(fanout.pool, fanout.keys);
    DueDelivery d = await(store.claim(new ClaimOptions("worker-a", 60_000, 10, 10, 10, 100, 1 << 20)))
        .deliveries().get(0);
    TestDatabase.execute(fanout.db,
        "UPDATE subscriber SET consecutive_failures = 7, paused_until = now() - interval '1 second' WHERE id = ?", s.id());

    await(store.delivered(List.of(new SuccessfulAttempt(d.id(), d.attempt(), 200)), "worker-a"));

    assertThat(TestDatabase.rows(fanout.db,
        "SELECT consecutive_failures, paused_until IS NULL AS unpaused FROM subscriber WHERE id = ?", s.id()))
        .containsExactly(Map.of("consecutive_failures", 0, "unpaused", true));
  }

  @Test
  void taking_and_recording_leases_leaves_most_lease_updates_hot() {
    fanout = Harness.start(vertx);
    Hook h = hook();
    Subscriber s = fanout.subscribe(SubscriberDraft.of(h.url(), List.of("market.event")).withMaxInFlight(4));
    int events = 40;
    for (int i = 0; i < events; i++) {
      fanout.marketEvent("DAM", "MARKET_DELAY");
    }
    eventually("all delivered", () -> fanout.deliveries(s.id(), "DELIVERED") == events);
    // table statistics reach the view when the writing backend next reports (within seconds)
    eventually(Duration.ofSeconds(30), "the lease updates show in the statistics", () -> (long) TestDatabase.rows(
        fanout.db, "SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'delivery'").get(0).get("n")
        >= 2L * events);
    long hot = (long) TestDatabase.rows(fanout.db,
        "SELECT n_tup_hot_upd AS n FROM pg_stat_user_tables WHERE relname = 'delivery'").get(0).get("n");
    // a lease per delivery (HOT when its page has room), then DELIVERED (never HOT: the state is indexed)
    assertThat(hot).as("HOT updates of %d leases", events).isGreaterThanOrEqualTo(events / 2);
  }
}
