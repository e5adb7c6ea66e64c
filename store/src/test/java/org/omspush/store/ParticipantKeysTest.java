package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.marketEvent;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.rows;

import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.TestDatabase;

/** Invariant 9: every key is per participant; one participant's rows never touch another's. */
class ParticipantKeysTest {
  private static final String SERVICE = PushStore.DEFAULT_OUTAGE_SERVICE;

  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(4);
  private DatabaseUrl db;
  private Pool pool;
  private PushStore pushes;
  private RedemptionStore redemption;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    pushes = new PushStore(pool);
    redemption = new RedemptionStore(pool);
  }

  @Test
  void the_same_message_id_under_two_participants_is_two_messages_each_with_its_claim() {
    StoreOutcome a = await(pushes.storeOutageChange(message("m-1", "doc-a").forParticipant("SC_A"), outage("OUT-A", 1)));
    StoreOutcome b = await(pushes.storeOutageChange(message("m-1", "doc-b").forParticipant("SC_B"), outage("OUT-B", 1)));
    StoreOutcome again = await(pushes.storeOutageChange(message("m-1", "doc-b").forParticipant("SC_B"),
        outage("OUT-B", 1)));

    assertThat(List.of(a, b, again)).containsExactly(StoreOutcome.STORED, StoreOutcome.STORED, StoreOutcome.DUPLICATE);
    assertThat(rows(db, "SELECT participant, message_id, duplicate_count FROM inbound_message ORDER BY participant"))
        .containsExactly(Map.of("participant", "SC_A", "message_id", "m-1", "duplicate_count", 0),
            Map.of("participant", "SC_B", "message_id", "m-1", "duplicate_count", 1));
    assertThat(rows(db, "SELECT participant, outage_mrid, state FROM claim ORDER BY participant"))
        .containsExactly(Map.of("participant", "SC_A", "outage_mrid", "OUT-A", "state", "PENDING"),
            Map.of("participant", "SC_B", "outage_mrid", "OUT-B", "state", "PENDING"));
  }

  @Test
  void the_same_mrid_under_two_participants_is_two_outages_and_a_newer_version_of_one_supersedes_only_its_own() {
    await(pushes.storeOutageChange(message("a-1", "a1").forParticipant("SC_A"), outage("OUT-1", 1)));
    await(pushes.storeOutageChange(message("b-3", "b3").forParticipant("SC_B"), outage("OUT-1", 3)));
    // A's version 2 is newer than A's 1, older than B's 3: it is A's pending claim all the same
    await(pushes.storeOutageChange(message("a-2", "a2").forParticipant("SC_A"), outage("OUT-1", 2)));

    assertThat(rows(db, "SELECT participant, newest_version FROM outage WHERE outage_mrid = 'OUT-1' ORDER BY participant"))
        .containsExactly(Map.of("participant", "SC_A", "newest_version", 2L),
            Map.of("participant", "SC_B", "newest_version", 3L));
    assertThat(rows(db, "SELECT participant, version, state FROM claim ORDER BY participant, version"))
        .containsExactly(Map.of("participant", "SC_A", "version", 1L, "state", "SUPERSEDED"),
            Map.of("participant", "SC_A", "version", 2L, "state", "PENDING"),
            Map.of("participant", "SC_B", "version", 3L, "state", "PENDING"));
  }

  /** Version 1 of OUT-1, its payload written as a fetch writes it. */
  private RetrievedDocument document() {
    PayloadStore payloads = new PayloadStore(pool);
    long id = await(payloads.begin());
    await(payloads.append(id, 0, io.vertx.core.buffer.Buffer.buffer(new byte[] {1})));
    return new RetrievedDocument("OUT-1", "RESOURCE", 1L, "APPROVED", Pushes.MODIFIED, id, 1, "a".repeat(64));
  }

  @Test
  void redeeming_one_participants_outage_publishes_its_event_and_leaves_the_other_participants_claim_pending() {
    await(pushes.storeOutageChange(message("a-1", "a1").forParticipant("SC_A"), outage("OUT-1", 1)));
    await(pushes.storeOutageChange(message("b-1", "b1").forParticipant("SC_B"), outage("OUT-1", 1)));

    List<RedemptionStore.Lane> lanes = List.of(new RedemptionStore.Lane("SC_A", "cert-a", SERVICE),
        new RedemptionStore.Lane("SC_B", "cert-b", SERVICE));
    RedemptionStore.Leased firstLeased = await(redemption.leaseNextAny(lanes, "w", Duration.ofSeconds(30), 3))
        .orElseThrow();
    ClaimToRedeem first = firstLeased.claim();
    String owner = (String) rows(db, "SELECT participant FROM claim WHERE id = ?", first.id()).get(0).get("participant");
    RedemptionStore.Completion done = await(redemption.complete(first, "w", document()));
    RedemptionStore.Leased secondLeased = await(redemption.leaseNextAny(lanes, "w", Duration.ofSeconds(30), 3))
        .orElseThrow();
    ClaimToRedeem second = secondLeased.claim();
    RedemptionStore.Completion alsoDone = await(redemption.complete(second, "w", document()));

    assertThat(done.redeemed()).isEqualTo(1);
    assertThat(done.published()).isTrue();
    assertThat(second.id()).isNotEqualTo(first.id());
    assertThat(second.showsVersionGap()).as("the other participant's version 1 is no gap").isFalse();
    assertThat(alsoDone.published()).as("the same version for another participant is published too").isTrue();
    assertThat(rows(db, "SELECT participant, outage_version FROM event ORDER BY participant"))
        .containsExactly(Map.of("participant", "SC_A", "outage_version", 1L),
            Map.of("participant", "SC_B", "outage_version", 1L));
    assertThat(owner).isIn("SC_A", "SC_B");
    assertThat(firstLeased.participant()).as("leased under its own participant's lane").isEqualTo(owner);
    assertThat(secondLeased.participant()).isNotEqualTo(owner).isIn("SC_A", "SC_B");
  }

  @Test
  void a_market_event_pushed_to_two_participants_is_stored_once_for_each() {
    await(pushes.storeMarketEvent(message("dam-a", "e").forParticipant("SC_A"), marketEvent("EV-1", null)));
    await(pushes.storeMarketEvent(message("dam-b", "e").forParticipant("SC_B"), marketEvent("EV-1", null)));
    await(pushes.storeMarketEvent(message("dam-b", "e").forParticipant("SC_B"), marketEvent("EV-1", null)));

    assertThat(rows(db, "SELECT participant, event_id FROM market_event ORDER BY participant"))
        .containsExactly(Map.of("participant", "SC_A", "event_id", "EV-1"),
            Map.of("participant", "SC_B", "event_id", "EV-1"));
    assertThat(rows(db, "SELECT participant FROM event ORDER BY participant"))
        .containsExactly(Map.of("participant", "SC_A"), Map.of("participant", "SC_B"));
  }

  @Test
  void a_subscriber_naming_participants_gets_deliveries_of_their_events_only() {
    TestDatabase.execute(db, "INSERT INTO subscriber (id, url, event_types, participants) VALUES "
        + "(gen_random_uuid(), 'https://a.example.com/', '{market.event}', '{SC_A}'), "
        + "(gen_random_uuid(), 'https://all.example.com/', '{market.event}', NULL)");

    await(pushes.storeMarketEvent(message("dam-a", "e").forParticipant("SC_A"), marketEvent("EV-1", null)));
    await(pushes.storeMarketEvent(message("dam-b", "e").forParticipant("SC_B"), marketEvent("EV-1", null)));

    assertThat(rows(db, "SELECT s.url, d.participant FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id "
        + "ORDER BY s.url, d.participant"))
        .containsExactly(Map.of("url", "https://a.example.com/", "participant", "SC_A"),
            Map.of("url", "https://all.example.com/", "participant", "SC_A"),
            Map.of("url", "https://all.example.com/", "participant", "SC_B"));
  }

  @Test
  void a_participant_key_outside_the_pattern_is_refused_by_the_schema_too() {
    assertThat(count(db, "inbound_message")).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestDatabase.execute(db,
            "INSERT INTO inbound_message (participant, message_id, raw_xml) VALUES ('no/slash', 'm', '\\x00')"))
        .rootCause().hasMessageContaining("inbound_message_participant_check");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestDatabase.execute(db,
            "INSERT INTO subscriber (id, url, event_types, participants) VALUES "
                + "(gen_random_uuid(), 'https://x.example.com/', '{market.event}', '{ok,not ok}')"))
        .rootCause().hasMessageContaining("subscriber_participants_check");
  }
}
