package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;
import static org.omspush.store.testing.TestDatabase.execute;

import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.TestDatabase;

/** The scheduler's statements: one lease across every participant's lane, and when to look again. */
class SchedulerLeaseTest {
  private static final String SERVICE = PushStore.DEFAULT_OUTAGE_SERVICE;
  private static final Duration LEASE = Duration.ofSeconds(30);
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(4);
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

  private void claim(String participant, String id, String mrid) {
    await(pushes.storeOutageChange(message(id, "d-" + id).forParticipant(participant), outage(mrid, 1)));
  }

  private static RedemptionStore.Lane lane(String participant) {
    return new RedemptionStore.Lane(participant, "cert-" + participant, SERVICE);
  }

  @Test
  void the_earliest_due_claim_of_any_lane_whose_gate_is_open_is_leased_with_its_lanes_certificate() {
    for (int i = 0; i < 5; i++) {
      claim("SC_A", "a-" + i, "OUT-A-" + i);
    }
    claim("SC_B", "b-0", "OUT-B-0");
    List<RedemptionStore.Lane> lanes = List.of(lane("SC_A"), lane("SC_B"));

    var first = await(store.leaseNextAny(lanes, "w", LEASE, 3)).orElseThrow();
    assertThat(first.participant()).as("SC_A's claims are due first").isEqualTo("SC_A");
    assertThat(first.identity()).isEqualTo("cert-SC_A");
    assertThat(first.claim().outageMRID()).isEqualTo("OUT-A-0");
    // SC_A's certificate called: its gate is closed for the interval.
    assertThat(await(store.takeGate("cert-SC_A", SERVICE, Duration.ofSeconds(60))).taken()).isTrue();

    var second = await(store.leaseNextAny(lanes, "w", LEASE, 3)).orElseThrow();
    assertThat(second.participant()).as("SC_B's claim does not wait behind SC_A's backlog").isEqualTo("SC_B");
    assertThat(second.identity()).isEqualTo("cert-SC_B");
    assertThat(await(store.leaseNextAny(lanes, "w", LEASE, 3))).as("SC_A's gate is closed, SC_B has no more")
        .isEmpty();
  }

  @Test
  void claims_of_a_participant_in_no_lane_are_never_leased() {
    claim("SC_GONE", "g-0", "OUT-G-0");
    claim("SC_A", "a-0", "OUT-A-0");

    var leased = await(store.leaseNextAny(List.of(lane("SC_A")), "w", LEASE, 3)).orElseThrow();

    assertThat(leased.participant()).isEqualTo("SC_A");
    assertThat(await(store.leaseNextAny(List.of(lane("SC_A")), "w", LEASE, 3))).isEmpty();
    assertThat(await(store.leaseNextAny(List.of(), "w", LEASE, 3))).isEmpty();
    assertThat(TestDatabase.count(db, "claim", "participant = 'SC_GONE' and state = 'PENDING' and lease_owner is null"))
        .isEqualTo(1);
  }

  @Test
  void a_refused_gate_is_not_leased_from_and_not_waited_for() {
    claim("SC_A", "a-0", "OUT-A-0");
    await(store.takeGate("cert-SC_A", SERVICE, Duration.ZERO));
    await(store.refuseService("cert-SC_A", SERVICE, "403"));

    assertThat(await(store.leaseNextAny(List.of(lane("SC_A")), "w", LEASE, 3))).isEmpty();
    assertThat(await(store.nextDue(List.of(lane("SC_A"))))).as("nothing to wait for: an operator clears it").isEmpty();
  }

  @Test
  void next_due_is_when_the_first_lane_opens_on_the_database_clock() {
    assertThat(await(store.nextDue(List.of(lane("SC_A"), lane("SC_B"))))).as("no claim at all").isEmpty();
    claim("SC_A", "a-0", "OUT-A-0");
    claim("SC_B", "b-0", "OUT-B-0");
    await(store.takeGate("cert-SC_A", SERVICE, Duration.ofSeconds(60)));
    await(store.takeGate("cert-SC_B", SERVICE, Duration.ofSeconds(20)));

    Duration wait = await(store.nextDue(List.of(lane("SC_A"), lane("SC_B")))).orElseThrow();
    assertThat(wait).as("SC_B's gate, the earlier").isBetween(Duration.ofSeconds(15), Duration.ofSeconds(20));

    execute(db, "update claim set next_attempt_at = now() + interval '40 seconds' where participant = 'SC_B'");
    wait = await(store.nextDue(List.of(lane("SC_A"), lane("SC_B")))).orElseThrow();
    assertThat(wait).as("SC_B's claim is due after its gate opens").isBetween(Duration.ofSeconds(35),
        Duration.ofSeconds(40));

    wait = await(store.nextDue(List.of(lane("SC_B")))).orElseThrow();
    assertThat(wait).isBetween(Duration.ofSeconds(35), Duration.ofSeconds(40));
    assertThat(await(store.nextDue(List.of(lane("SC_C"))))).as("a lane with no claim").isEmpty();
  }

  @Test
  void claims_of_a_lane_not_served_are_set_aside_but_a_participant_without_a_certificate_waits() {
    claim("SC_A", "a-0", "OUT-A-0");
    claim("SC_GONE", "g-0", "OUT-G-0");
    execute(db, "update claim set service = 'RetrieveOutageByClaimCheck_OMSv9'");

    var setAside = await(store.setAsideUnserviceable(List.of(lane("SC_A")), List.of("SC_A")));

    assertThat(setAside).containsExactly(java.util.Map.entry("RetrieveOutageByClaimCheck_OMSv9", 1));
    assertThat(TestDatabase.count(db, "claim", "participant = 'SC_A' and state = 'UNSERVICEABLE'")).isEqualTo(1);
    assertThat(TestDatabase.count(db, "claim", "participant = 'SC_GONE' and state = 'PENDING'")).isEqualTo(1);
    var revived = await(store.reviveServiceableLanes(List.of(new RedemptionStore.Lane("SC_A", "cert-SC_A",
        "RetrieveOutageByClaimCheck_OMSv9"))));
    assertThat(revived).containsExactly(java.util.Map.entry("RetrieveOutageByClaimCheck_OMSv9", 1));
  }
}
