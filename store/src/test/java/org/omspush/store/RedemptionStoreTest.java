package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.execute;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;

class RedemptionStoreTest {
  private static final String SERVICE = PushStore.DEFAULT_OUTAGE_SERVICE;
  private static final Duration GIVE_UP = Duration.ofHours(72);
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(12);
  private DatabaseUrl db;
  private Pool pool;
  private RedemptionStore store;
  private PushStore pushes;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    store = new RedemptionStore(pool);
    pushes = new PushStore(pool);
  }

  /** The scheduler's lease, on the one lane these claims are in (its own gate key, apart from the gates tested here). */
  private Future<java.util.Optional<ClaimToRedeem>> lease(String owner, Duration lease, int maxLost) {
    return store.leaseNextAny(List.of(new RedemptionStore.Lane(ParticipantKey.DEFAULT, "id-lease", SERVICE)), owner,
        lease, maxLost).map(leased -> leased.map(RedemptionStore.Leased::claim));
  }

  @Test
  void of_many_concurrent_takers_only_one_gets_the_gate() {
    List<Future<RedemptionStore.Gate>> takers = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      takers.add(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5)));
    }
    long taken = takers.stream().map(Pushes::await).filter(RedemptionStore.Gate::taken).count();
    assertThat(taken).isEqualTo(1);
    RedemptionStore.Gate refused = await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5)));
    assertThat(refused.taken()).isFalse();
    assertThat(refused.waitFor()).isGreaterThan(Duration.ofSeconds(4)).isLessThanOrEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void gates_are_per_identity_and_service() {
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5))).taken()).isTrue();
    assertThat(await(store.takeGate("id-2", SERVICE, Duration.ofSeconds(5))).taken()).isTrue();
    assertThat(await(store.takeGate("id-1", "OtherService", Duration.ofSeconds(5))).taken()).isTrue();
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5))).taken()).isFalse();
  }

  @Test
  void gate_opens_again_after_the_interval_on_the_database_clock() throws Exception {
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(300))).taken()).isTrue();
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(300))).taken()).isFalse();
    Thread.sleep(400);
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(300))).taken()).isTrue();
  }

  @Test
  void aup_page_moves_the_gate_forward_and_a_403_closes_it() throws Exception {
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(100))).taken()).isTrue();
    await(store.aupPageSeen("id-1", SERVICE, Duration.ofSeconds(5)));
    Thread.sleep(200);
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(100))).taken()).isFalse();
    execute(db, "update aup_gate set next_allowed_at = now() - interval '1 second'");
    await(store.refuseService("id-1", SERVICE, "no access"));
    RedemptionStore.Gate closed = await(store.takeGate("id-1", SERVICE, Duration.ofMillis(100)));
    assertThat(closed.taken()).isFalse();
    assertThat(closed.refused()).isTrue();
    assertThat(closed.refusedReason()).isEqualTo("no access");
  }

  @Test
  void a_claim_is_leased_by_one_worker_and_taken_over_after_its_lease_runs_out() throws Exception {
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    var first = await(lease("worker-a", Duration.ofMillis(500), 3));
    assertThat(first).isPresent();
    assertThat(await(lease("worker-b", Duration.ofMillis(500), 3))).isEmpty();
    Thread.sleep(700);
    var takenOver = await(lease("worker-b", Duration.ofSeconds(30), 3));
    assertThat(takenOver).isPresent();
    assertThat(takenOver.get().id()).isEqualTo(first.get().id());
    assertThat(await(store.renewLease(first.get().id(), "worker-a", Duration.ofSeconds(30)))).isFalse();
    assertThat(await(store.renewLease(first.get().id(), "worker-b", Duration.ofSeconds(30)))).isTrue();
  }

  @Test
  void concurrent_workers_never_lease_the_same_claim() {
    for (int i = 0; i < 20; i++) {
      await(pushes.storeOutageChange(message("m-" + i, "d"), outage("OUT-" + i, 1)));
    }
    List<Future<java.util.Optional<ClaimToRedeem>>> leases = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      leases.add(lease("worker-" + i, Duration.ofSeconds(30), 3));
    }
    List<Long> ids = new ArrayList<>(leases.stream().map(Pushes::await).flatMap(java.util.Optional::stream)
        .map(ClaimToRedeem::id).toList());
    assertThat(ids).isNotEmpty().doesNotHaveDuplicates();
    // A head another worker is leasing at that moment is skipped, not waited for: the rest come after.
    for (var next = await(lease("late", Duration.ofSeconds(30), 3)); next.isPresent();
        next = await(lease("late", Duration.ofSeconds(30), 3))) {
      ids.add(next.get().id());
    }
    assertThat(ids).hasSize(20).doesNotHaveDuplicates();
  }

  @Test
  void the_last_counted_attempt_makes_a_claim_dead_and_aup_pages_do_not_count() {
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    long id = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow().id();
    assertThat(await(store.retryLater(id, "w", Duration.ZERO, null, RedemptionStore.Failure.WAIT, 2, GIVE_UP)).state())
        .isEqualTo("PENDING");
    await(lease("w", Duration.ofSeconds(30), 3));
    assertThat(await(store.retryLater(id, "w", Duration.ZERO, "boom 1", RedemptionStore.Failure.DEFINITIVE, 2,
        GIVE_UP)).state()).isEqualTo("PENDING");
    await(lease("w", Duration.ofSeconds(30), 3));
    RedemptionStore.Retry last = await(store.retryLater(id, "w", Duration.ZERO, "boom 2",
        RedemptionStore.Failure.DEFINITIVE, 2, GIVE_UP));
    assertThat(last.state()).isEqualTo("DEAD");
    assertThat(last.attempts()).isEqualTo(2);
    assertThat(last.deadReason()).isEqualTo("attempts");
    assertThat(count(db, "claim", "last_error = 'boom 2'")).isEqualTo(1);
    assertThat(await(new Claims(pool).retryAll("DEAD", null, 100)).retried()).isEqualTo(1);
    assertThat(count(db, "claim", "state = 'PENDING' and attempts = 0 and dead_reason is null")).isEqualTo(1);
  }

  @Test
  void transient_failures_never_count_as_attempts_and_make_a_claim_dead_only_after_the_give_up_time() {
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    long id = 0;
    for (int i = 0; i < 5; i++) {
      id = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow().id();
      RedemptionStore.Retry r = await(store.retryLater(id, "w", null, "HTTP 503", RedemptionStore.Failure.TRANSIENT,
          2, Duration.ofHours(1)));
      assertThat(r.state()).isEqualTo("PENDING");
      assertThat(r.attempts()).isZero();
    }
    assertThat(count(db, "claim", "transient_failures = 5 and next_attempt_at = created_at")).as("kept its place")
        .isEqualTo(1);
    execute(db, "update claim set created_at = now() - interval '2 hours'");
    await(lease("w", Duration.ofSeconds(30), 3));
    RedemptionStore.Retry dead = await(store.retryLater(id, "w", Duration.ZERO, "timeout",
        RedemptionStore.Failure.TRANSIENT, 2, Duration.ofHours(1)));
    assertThat(dead.state()).isEqualTo("DEAD");
    assertThat(dead.deadReason()).isEqualTo("gave_up");
  }

  @Test
  void a_fetch_whose_lease_ran_out_is_counted_lost_and_the_third_makes_the_claim_dead_instead_of_leased()
      throws Exception {
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    await(pushes.storeOutageChange(message("m-2", "d"), outage("OUT-2", 1)));
    for (int lost = 0; lost < 3; lost++) {
      var claim = await(lease("w" + lost, Duration.ofMillis(300), 3)).orElseThrow();
      assertThat(claim.outageMRID()).isEqualTo("OUT-1");
      assertThat(claim.lostFetches()).isEqualTo(lost);
      assertThat(claim.lostBefore()).isEqualTo(lost > 0);
      // The gate's take records the start of the fetch; then the receiver dies (nothing more happens).
      assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(1), claim.id(), "w" + lost)).taken())
          .isTrue();
      assertThat(count(db, "claim", "fetch_started_at is not null")).isEqualTo(1);
      Thread.sleep(400);
    }
    var dead = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    assertThat(dead.state()).isEqualTo("DEAD");
    assertThat(count(db, "claim", "outage_mrid = 'OUT-1' and state = 'DEAD' and dead_reason = 'receiver_lost'"
        + " and lost_fetches = 3 and lease_owner is null")).isEqualTo(1);
    assertThat(await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow().outageMRID())
        .isEqualTo("OUT-2");
  }

  @Test
  void a_fetch_that_ends_with_an_answer_is_not_counted_lost() throws Exception {
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    var claim = await(lease("w", Duration.ofMillis(300), 3)).orElseThrow();
    await(store.takeGate("id-1", SERVICE, Duration.ofMillis(1), claim.id(), "w"));
    await(store.retryLater(claim.id(), "w", null, "HTTP 503", RedemptionStore.Failure.TRANSIENT, 8,
        Duration.ofHours(1)));
    assertThat(count(db, "claim", "fetch_started_at is null")).isEqualTo(1);
    var again = await(lease("w2", Duration.ofSeconds(30), 3)).orElseThrow();
    assertThat(again.lostBefore()).isFalse();
    assertThat(again.lostFetches()).isZero();
  }

  @Test
  void the_claim_state_check_is_validated_and_admits_unserviceable_but_no_unknown_state() {
    assertThat(count(db, "pg_constraint", "conname = 'claim_state_check' and convalidated")).isEqualTo(1);
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    assertThat(execute(db, "update claim set state = 'UNSERVICEABLE'")).isEqualTo(1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> execute(db, "update claim set state = 'LOST'"))
        .hasStackTraceContaining("claim_state_check");
  }

  @Test
  void claims_of_a_service_no_identity_serves_are_set_aside_and_revived_once_it_is_served() {
    await(pushes.storeOutageChange(message("m-1", "d"), outage("OUT-1", 1)));
    execute(db, "update claim set service = 'RetrieveOutageByClaimCheck_OMSv9'");
    await(pushes.storeOutageChange(message("m-2", "d"), outage("OUT-2", 1)));
    assertThat(await(store.setAsideUnserviceable(List.of(SERVICE))))
        .containsExactly(java.util.Map.entry("RetrieveOutageByClaimCheck_OMSv9", 1));
    assertThat(count(db, "claim", "state = 'UNSERVICEABLE'")).isEqualTo(1);
    assertThat(await(store.reviveServiceable(List.of(SERVICE)))).isEmpty();
    assertThat(await(store.reviveServiceable(List.of(SERVICE, "RetrieveOutageByClaimCheck_OMSv9"))))
        .containsExactly(java.util.Map.entry("RetrieveOutageByClaimCheck_OMSv9", 1));
    assertThat(count(db, "claim", "state = 'PENDING'")).isEqualTo(2);
  }

  /** A payload written as a fetch writes it, not yet complete. */
  private long payload(byte[] gzip) {
    PayloadStore payloads = new PayloadStore(pool);
    long id = await(payloads.begin());
    await(payloads.append(id, 0, io.vertx.core.buffer.Buffer.buffer(gzip)));
    return id;
  }

  @Test
  void a_retrieved_newer_version_redeems_every_older_pending_claim_and_publishes_once() {
    await(pushes.storeOutageChange(message("m-1", "d1"), outage("OUT-1", 1)));
    var claim = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    await(pushes.storeOutageChange(message("m-2", "d2"), outage("OUT-1", 2)));
    var doc = new RetrievedDocument("OUT-1", "RESOURCE", 2L, "ACTIVE", Pushes.MODIFIED, payload(new byte[] {1, 2}), 10,
        "a".repeat(64));
    var done = await(store.complete(claim, "w", doc));
    assertThat(done.published()).isTrue();
    assertThat(count(db, "claim", "state = 'REDEEMED'")).isEqualTo(1);
    assertThat(count(db, "claim", "state = 'SUPERSEDED'")).isEqualTo(1);
    // Version 2 was already published: its own claim finds nothing newer to publish.
    var second = await(lease("w", Duration.ofSeconds(30), 3));
    assertThat(second).isEmpty();
    assertThat(count(db, "event", "outage_mrid = 'OUT-1' and outage_version = 2")).isEqualTo(1);
  }

  @Test
  void a_lost_lease_stores_nothing() {
    await(pushes.storeOutageChange(message("m-1", "d1"), outage("OUT-1", 1)));
    var claim = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    execute(db, "update claim set lease_owner = 'someone-else'");
    long payload = payload(new byte[] {1});
    var doc = new RetrievedDocument("OUT-1", "RESOURCE", 1L, "ACTIVE", Pushes.MODIFIED, payload, 1,
        "b".repeat(64));
    assertThat(await(store.complete(claim, "w", doc)).redeemed()).isZero();
    assertThat(count(db, "payload", "size_bytes is not null")).as("complete payloads").isZero();
    assertThat(count(db, "event")).isZero();
    await(store.discardPayload(payload));
    assertThat(count(db, "payload")).isZero();
    assertThat(count(db, "payload_chunk")).isZero();
  }

  @Test
  void the_gate_is_not_taken_for_a_claim_that_is_no_longer_ours() {
    await(pushes.storeOutageChange(message("m-1", "d1"), outage("OUT-1", 1)));
    long id = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow().id();
    RedemptionStore.Gate forOurs = await(store.takeGate("id-1", SERVICE, Duration.ofMillis(50), id, "w"));
    assertThat(forOurs.taken()).isTrue();
    assertThat(forOurs.takenUntil()).isNotNull();
    execute(db, "update aup_gate set next_allowed_at = now() - interval '1 second'");
    // A newer version supersedes the leased claim: its worker has nothing to send.
    await(pushes.storeOutageChange(message("m-2", "d2"), outage("OUT-1", 2)));
    RedemptionStore.Gate lost = await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5), id, "w"));
    assertThat(lost.taken()).isFalse();
    assertThat(lost.claimLost()).isTrue();
    assertThat(count(db, "aup_gate", "calls = 1 and next_allowed_at < now()")).as("gate untouched").isEqualTo(1);
    // Another owner's claim is not ours either.
    long next = await(lease("other", Duration.ofSeconds(30), 3)).orElseThrow().id();
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5), next, "w")).claimLost()).isTrue();
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5), next, "other")).taken()).isTrue();
    // A first take (no gate row yet) for a lost claim inserts nothing.
    assertThat(await(store.takeGate("id-2", SERVICE, Duration.ofSeconds(5), id, "w")).claimLost()).isTrue();
    assertThat(count(db, "aup_gate", "identity = 'id-2'")).isZero();
  }

  @Test
  void a_late_answer_moves_the_gate_to_the_interval_after_it_and_never_back() {
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(100))).taken()).isTrue();
    await(store.callAnswered("id-1", SERVICE, Duration.ofSeconds(5)));
    RedemptionStore.Gate moved = await(store.takeGate("id-1", SERVICE, Duration.ofMillis(100)));
    assertThat(moved.taken()).isFalse();
    assertThat(moved.waitFor()).isGreaterThan(Duration.ofSeconds(4));
    // An answer within the interval does not pull the gate earlier.
    await(store.callAnswered("id-1", SERVICE, Duration.ofMillis(10)));
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofMillis(100))).waitFor())
        .isGreaterThan(Duration.ofSeconds(4));
  }

  @Test
  void a_slot_taken_but_not_used_is_given_back_unless_the_gate_moved_since() {
    RedemptionStore.Gate taken = await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5)));
    assertThat(taken.taken()).isTrue();
    assertThat(await(store.releaseGate("id-1", SERVICE, taken.takenUntil(), Duration.ofSeconds(5)))).isTrue();
    assertThat(count(db, "aup_gate", "calls = 0")).isEqualTo(1);
    RedemptionStore.Gate again = await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5)));
    assertThat(again.taken()).as("the slot is free again at once").isTrue();
    // An AUP page moved the gate after the take: the release leaves it where it is.
    await(store.aupPageSeen("id-1", SERVICE, Duration.ofSeconds(10)));
    assertThat(await(store.releaseGate("id-1", SERVICE, again.takenUntil(), Duration.ofSeconds(5)))).isFalse();
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5))).waitFor())
        .isGreaterThan(Duration.ofSeconds(9));
  }

  @Test
  void a_claim_given_back_without_an_attempt_keeps_its_place_ahead_of_newer_claims() {
    await(pushes.storeOutageChange(message("m-1", "d1"), outage("OUT-1", 1)));
    await(pushes.storeOutageChange(message("m-2", "d2"), outage("OUT-2", 1)));
    await(pushes.storeOutageChange(message("m-3", "d3"), outage("OUT-3", 1)));
    var first = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    assertThat(first.outageMRID()).isEqualTo("OUT-1");
    assertThat(await(store.giveBack(first.id(), "w")).state()).isEqualTo("PENDING");
    var again = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    assertThat(again.id()).as("the claim given back is next again").isEqualTo(first.id());
    assertThat(again.attempts()).isZero();
    assertThat(await(store.giveBack(first.id(), "someone-else")).state()).isEqualTo("LOST");
  }

  @Test
  void a_claim_switched_to_lookup_by_key_keeps_its_place_and_is_retried_by_key() {
    await(pushes.storeOutageChange(message("m-1", "d1"), outage("OUT-1", 1)));
    await(pushes.storeOutageChange(message("m-2", "d2"), outage("OUT-2", 1)));
    var first = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    assertThat(first.outageMRID()).isEqualTo("OUT-1");
    await(store.useKeyLookup(first.id(), "w", "token expired"));
    var again = await(lease("w", Duration.ofSeconds(30), 3)).orElseThrow();
    assertThat(again.id()).as("the claim switched to key lookup is next again").isEqualTo(first.id());
    assertThat(again.byKey()).isTrue();
    assertThat(again.attempts()).isZero();
  }

  @Test
  void newest_versions_are_those_the_inbound_store_knows() {
    await(pushes.storeOutageChange(message("m-1", "d1"), outage("OUT-1", 1)));
    await(pushes.storeOutageChange(message("m-2", "d2"), outage("OUT-1", 3)));
    await(pushes.storeOutageChange(message("m-3", "d3"), outage("OUT-2", 1)));
    assertThat(await(store.newestVersions(List.of("OUT-1", "OUT-2", "OUT-9"))))
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("OUT-1", 3L, "OUT-2", 1L));
    assertThat(await(store.newestVersions(List.of()))).isEmpty();
  }

  @Test
  void an_answer_back_within_the_margin_opens_the_gate_at_its_time_plus_the_interval() throws Exception {
    RedemptionStore.Gate taken = await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5)));
    assertThat(count(db, "aup_gate", "last_taken_at is not null and last_taken_at <= now()")).isEqualTo(1);
    // The answer is back: the ISO saw the request before now, so now + the interval is enough.
    await(store.callAnswered("id-1", SERVICE, Duration.ofMillis(200), taken.takenUntil()));
    Thread.sleep(300);
    RedemptionStore.Gate next = await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5)));
    assertThat(next.taken()).as("open the interval after the answer, not the take's 5 s").isTrue();
    // The gate moved since the take (an AUP page): an answer never pulls it earlier.
    await(store.aupPageSeen("id-1", SERVICE, Duration.ofSeconds(10)));
    await(store.callAnswered("id-1", SERVICE, Duration.ofMillis(200), next.takenUntil()));
    assertThat(await(store.takeGate("id-1", SERVICE, Duration.ofSeconds(5))).waitFor())
        .isGreaterThan(Duration.ofSeconds(9));
  }
}
