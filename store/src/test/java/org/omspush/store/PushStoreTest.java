package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.failureOf;
import static org.omspush.store.Pushes.marketEvent;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.queryLong;
import static org.omspush.store.testing.TestDatabase.rows;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.TestDatabase;

class PushStoreTest {

  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(8);
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
  void outage_change_is_stored_with_its_claim_pending() {
    StoreOutcome outcome = await(store.storeOutageChange(message("m-1", "doc-1"), outage("OUT-1", 7)));

    assertThat(outcome).isEqualTo(StoreOutcome.STORED);
    Map<String, Object> message = rows(db, "SELECT * FROM inbound_message").get(0);
    assertThat(message).containsEntry("message_id", "m-1")
        .containsEntry("action", "receiveOutageStatusChange_v1")
        .containsEntry("document_sha256", Pushes.sha256("doc-1"))
        .containsEntry("duplicate_count", 0);
    assertThat(new String((byte[]) message.get("raw_xml"))).isEqualTo("<soap:Envelope>doc-1</soap:Envelope>");
    Map<String, Object> claim = rows(db, "SELECT * FROM claim").get(0);
    assertThat(claim).containsEntry("kind", "OUTAGE")
        .containsEntry("outage_mrid", "OUT-1")
        .containsEntry("version", 7L)
        .containsEntry("status", "APPROVED")
        .containsEntry("previous_status", "RECEIVED")
        .containsEntry("token", "token-OUT-1-7")
        .containsEntry("service", PushStore.DEFAULT_OUTAGE_SERVICE)
        .containsEntry("state", "PENDING")
        .containsEntry("inbound_message_id", message.get("id"));
    assertThat(queryLong(db, "SELECT newest_version FROM outage WHERE outage_mrid = 'OUT-1'")).isEqualTo(7);
  }

  @Test
  void outage_change_without_claim_check_gets_a_claim_to_redeem_by_mrid() {
    OutageChange change = new OutageChange("OUT-2", "TRANSMISSION", 1, "SOMETHING_NEW", null, Pushes.MODIFIED, null);

    await(store.storeOutageChange(message("m-1", "doc"), change));

    Map<String, Object> claim = rows(db, "SELECT * FROM claim").get(0);
    assertThat(claim).containsEntry("token", null)
        .containsEntry("service", PushStore.DEFAULT_OUTAGE_SERVICE)
        .containsEntry("status", "SOMETHING_NEW")
        .containsEntry("state", "PENDING");
  }

  @Test
  void market_event_without_claim_check_is_ready_and_has_no_claim() {
    StoreOutcome outcome = await(store.storeMarketEvent(message("m-1", "event"), marketEvent("E-1", null)));

    assertThat(outcome).isEqualTo(StoreOutcome.STORED);
    assertThat(rows(db, "SELECT event_id, fanout_state, description FROM market_event"))
        .containsExactly(Map.of("event_id", "E-1", "fanout_state", "READY", "description", "Day-ahead market closed"));
    assertThat(count(db, "claim")).isZero();
  }

  @Test
  void market_event_without_claim_check_is_published_to_the_outbox_in_the_same_transaction() {
    await(store.storeMarketEvent(message("m-9", "event"), marketEvent("E-9", null)));

    Map<String, Object> event = rows(db, "SELECT type, subject, market, event_type, data::text AS data, "
        + "time = '2026-11-21T18:00:00Z'::timestamptz AS time_ok FROM event").get(0);
    assertThat(event).containsEntry("type", "market.event").containsEntry("subject", "DAM/2026-11-22")
        .containsEntry("market", "DAM").containsEntry("event_type", "MARKET_CLOSED").containsEntry("time_ok", true);
    assertThat((String) event.get("data")).contains("\"eventId\": \"E-9\"")
        .contains("\"tradeDate\": \"2026-11-22\"")
        .contains("\"eventTime\": \"2026-11-21T18:00:00.000Z\"")
        .contains("\"description\": \"Day-ahead market closed\"")
        .contains("\"messageId\": \"m-9\"");
  }

  @Test
  void market_event_with_claim_check_is_not_published_before_its_payload_is_redeemed() {
    ClaimCheck check = new ClaimCheck("tok-E-3", PushStore.DEFAULT_MARKET_EVENT_SERVICE, Pushes.MODIFIED);
    await(store.storeMarketEvent(message("m-3", "event"), marketEvent("E-3", check)));
    assertThat(count(db, "event")).isZero();
  }

  @Test
  void market_event_with_claim_check_awaits_its_payload_with_a_claim() {
    ClaimCheck check = new ClaimCheck("tok-E-2", PushStore.DEFAULT_MARKET_EVENT_SERVICE, Pushes.MODIFIED);

    await(store.storeMarketEvent(message("m-1", "event"), marketEvent("E-2", check)));

    Map<String, Object> event = rows(db, "SELECT * FROM market_event").get(0);
    assertThat(event).containsEntry("fanout_state", "AWAITING_PAYLOAD");
    assertThat(rows(db, "SELECT kind, market_event_id, token, service, state FROM claim"))
        .containsExactly(Map.of("kind", "MARKET_EVENT", "market_event_id", event.get("id"), "token", "tok-E-2",
            "service", PushStore.DEFAULT_MARKET_EVENT_SERVICE, "state", "PENDING"));
    assertThat(count(db, "claim", "outage_mrid IS NULL AND version IS NULL")).isEqualTo(1);
  }

  @Test
  void repeated_message_id_is_stored_once() {
    StoreOutcome first = await(store.storeOutageChange(message("m-1", "doc"), outage("OUT-1", 1)));
    StoreOutcome second = await(store.storeOutageChange(message("m-1", "doc"), outage("OUT-1", 1)));
    StoreOutcome third = await(store.storeMarketEvent(message("m-2", "event"), marketEvent("E-1", null)));
    StoreOutcome fourth = await(store.storeMarketEvent(message("m-2", "event"), marketEvent("E-1", null)));

    assertThat(List.of(first, second, third, fourth)).containsExactly(
        StoreOutcome.STORED, StoreOutcome.DUPLICATE, StoreOutcome.STORED, StoreOutcome.DUPLICATE);
    assertThat(count(db, "inbound_message")).isEqualTo(2);
    assertThat(count(db, "claim")).isEqualTo(1);
    assertThat(count(db, "market_event")).isEqualTo(1);
    assertThat(rows(db, "SELECT message_id, duplicate_count, conflict_count FROM inbound_message ORDER BY message_id"))
        .containsExactly(
            Map.of("message_id", "m-1", "duplicate_count", 1, "conflict_count", 0),
            Map.of("message_id", "m-2", "duplicate_count", 1, "conflict_count", 0));
  }

  @Test
  void repeated_message_id_with_another_document_keeps_the_first_and_counts_the_conflict() {
    await(store.storeOutageChange(message("m-1", "first"), outage("OUT-1", 1)));

    StoreOutcome outcome = await(store.storeOutageChange(message("m-1", "second"), outage("OUT-1", 2)));

    assertThat(outcome).isEqualTo(StoreOutcome.DUPLICATE_CONFLICT);
    assertThat(rows(db, "SELECT document_sha256, duplicate_count, conflict_count FROM inbound_message"))
        .containsExactly(Map.of("document_sha256", Pushes.sha256("first"), "duplicate_count", 1, "conflict_count", 1));
    assertThat(rows(db, "SELECT version FROM claim")).containsExactly(Map.of("version", 1L));
    assertThat(queryLong(db, "SELECT newest_version FROM outage")).isEqualTo(1);
  }

  @Test
  void concurrent_repeats_of_one_message_id_store_it_once() {
    List<Future<StoreOutcome>> pushes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      pushes.add(i % 2 == 0
          ? store.storeOutageChange(message("m-same", "doc"), outage("OUT-1", 3))
          : store.storeMarketEvent(message("m-same", "doc"), marketEvent("E-1", null)));
    }
    List<StoreOutcome> outcomes = pushes.stream().map(Pushes::await).toList();

    assertThat(outcomes).filteredOn(o -> o == StoreOutcome.STORED).hasSize(1);
    assertThat(outcomes).filteredOn(o -> o == StoreOutcome.DUPLICATE).hasSize(11);
    assertThat(count(db, "inbound_message")).isEqualTo(1);
    assertThat(queryLong(db, "SELECT duplicate_count FROM inbound_message")).isEqualTo(11);
    assertThat(count(db, "claim") + count(db, "market_event")).isEqualTo(1);
  }

  @Test
  void repeats_that_wait_for_the_first_copy_to_commit_are_each_counted_once() throws Exception {
    await(store.storeOutageChange(message("m-0", "v1"), outage("OUT-1", 1)));
    Future<StoreOutcome> first;
    List<Future<StoreOutcome>> repeats = new ArrayList<>();
    // The first copy inserts its message, then waits for the outage row held here; the repeats
    // wait for the first copy's message row, and see it only after their statement began.
    try (Connection holder = TestDatabase.connect(db)) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement("SELECT 1 FROM outage WHERE outage_mrid = 'OUT-1' FOR UPDATE")) {
        lock.executeQuery().close();
      }
      first = store.storeOutageChange(message("m-same", "doc"), outage("OUT-1", 2));
      Thread.sleep(200);
      repeats.add(store.storeOutageChange(message("m-same", "doc"), outage("OUT-1", 2)));
      repeats.add(store.storeOutageChange(message("m-same", "doc"), outage("OUT-1", 2)));
      repeats.add(store.storeMarketEvent(message("m-same", "doc"), marketEvent("E-1", null)));
      repeats.add(store.storeMarketEvent(message("m-same", "other doc"), marketEvent("E-1", null)));
      Thread.sleep(200);
      holder.commit();
    }

    assertThat(await(first)).isEqualTo(StoreOutcome.STORED);
    assertThat(repeats.stream().map(Pushes::await).toList()).containsExactly(
        StoreOutcome.DUPLICATE, StoreOutcome.DUPLICATE, StoreOutcome.DUPLICATE, StoreOutcome.DUPLICATE_CONFLICT);
    assertThat(rows(db, "SELECT duplicate_count, conflict_count FROM inbound_message WHERE message_id = 'm-same'"))
        .containsExactly(Map.of("duplicate_count", 4, "conflict_count", 1));
    assertThat(count(db, "claim")).isEqualTo(2);
    assertThat(count(db, "market_event")).isZero();
  }

  @Test
  void newest_version_wins_when_versions_arrive_out_of_order() {
    await(store.storeOutageChange(message("m-3", "v3"), outage("OUT-1", 3)));
    await(store.storeOutageChange(message("m-5", "v5"), outage("OUT-1", 5)));
    await(store.storeOutageChange(message("m-4", "v4"), outage("OUT-1", 4)));
    await(store.storeOutageChange(message("m-other", "other"), outage("OUT-2", 1)));

    assertThat(rows(db, "SELECT version, state FROM claim WHERE outage_mrid = 'OUT-1' ORDER BY version"))
        .containsExactly(
            Map.of("version", 3L, "state", "SUPERSEDED"),
            Map.of("version", 4L, "state", "SUPERSEDED"),
            Map.of("version", 5L, "state", "PENDING"));
    assertThat(rows(db, "SELECT state FROM claim WHERE outage_mrid = 'OUT-2'")).containsExactly(Map.of("state", "PENDING"));
    assertThat(queryLong(db, "SELECT newest_version FROM outage WHERE outage_mrid = 'OUT-1'")).isEqualTo(5);
  }

  @Test
  void same_version_pushed_again_under_a_new_message_id_is_superseded_on_arrival() {
    await(store.storeOutageChange(message("m-a", "v2"), outage("OUT-1", 2)));
    await(store.storeOutageChange(message("m-b", "v2 again"), outage("OUT-1", 2)));

    assertThat(rows(db, "SELECT m.message_id, c.state FROM claim c JOIN inbound_message m ON m.id = c.inbound_message_id ORDER BY c.id"))
        .containsExactly(
            Map.of("message_id", "m-a", "state", "PENDING"),
            Map.of("message_id", "m-b", "state", "SUPERSEDED"));
  }

  @Test
  void a_version_older_than_a_redeemed_one_is_superseded_on_arrival() {
    await(store.storeOutageChange(message("m-6", "v6"), outage("OUT-1", 6)));
    TestDatabase.execute(db, "UPDATE claim SET state = 'REDEEMED'");

    await(store.storeOutageChange(message("m-5", "v5"), outage("OUT-1", 5)));

    assertThat(rows(db, "SELECT version, state FROM claim ORDER BY version"))
        .containsExactly(Map.of("version", 5L, "state", "SUPERSEDED"), Map.of("version", 6L, "state", "REDEEMED"));
  }

  @Test
  void concurrent_pushes_of_one_outage_leave_only_the_newest_pending() {
    for (int round = 0; round < 5; round++) {
      String mrid = "OUT-RACE-" + round;
      List<Integer> versions = new ArrayList<>(IntStream.rangeClosed(1, 20).boxed().toList());
      Collections.shuffle(versions);
      List<Future<StoreOutcome>> pushes = versions.stream()
          .map(v -> store.storeOutageChange(message(mrid + "-m" + v, mrid + v), outage(mrid, v)))
          .toList();
      pushes.forEach(Pushes::await);

      assertThat(rows(db, "SELECT version FROM claim WHERE outage_mrid = ? AND state = 'PENDING'", mrid))
          .as("pending claims of %s", mrid)
          .containsExactly(Map.of("version", 20L));
      assertThat(count(db, "claim", "outage_mrid = ? AND state = 'SUPERSEDED'", mrid)).isEqualTo(19);
      assertThat(queryLong(db, "SELECT newest_version FROM outage WHERE outage_mrid = ?", mrid)).isEqualTo(20);
    }
  }

  /**
   * Holds a row every push of the outage must lock (the outage row in the first statement, the
   * pending claim in the second), so the pushes pile up on it, then lets them all go at once.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "SELECT 1 FROM outage WHERE outage_mrid = ? FOR UPDATE",
      "SELECT 1 FROM claim WHERE outage_mrid = ? AND state = 'PENDING' FOR UPDATE"})
  void pushes_of_one_outage_queued_behind_a_lock_leave_only_the_newest_pending(String lockSql) throws Exception {
    String mrid = "OUT-QUEUED";
    // enough connections for every push to be in flight at once
    Pool wide = Pools.create(fresh.vertx(), db, 24);
    PushStore store = new PushStore(wide);
    await(store.storeOutageChange(message("m-first", "v1"), outage(mrid, 1)));
    List<Future<StoreOutcome>> pushes;
    try (Connection holder = TestDatabase.connect(db)) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock = holder.prepareStatement(lockSql)) {
        lock.setString(1, mrid);
        lock.executeQuery().close();
      }
      List<Integer> versions = new ArrayList<>(IntStream.rangeClosed(2, 21).boxed().toList());
      Collections.shuffle(versions);
      pushes = versions.stream()
          .map(v -> store.storeOutageChange(message(mrid + "-m" + v, mrid + v), outage(mrid, v)))
          .toList();
      Thread.sleep(300);
      holder.commit();
    }
    pushes.forEach(Pushes::await);
    await(wide.close());

    assertThat(rows(db, "SELECT version FROM claim WHERE outage_mrid = ? AND state = 'PENDING'", mrid))
        .containsExactly(Map.of("version", 21L));
    assertThat(count(db, "claim", "outage_mrid = ? AND state = 'SUPERSEDED'", mrid)).isEqualTo(20);
  }

  @Test
  void mrid_longer_than_40_characters_is_rejected_and_nothing_is_written() {
    String mrid = "X".repeat(41);

    Throwable failure = failureOf(store.storeOutageChange(message("m-long", "doc"), outage(mrid, 1)));

    assertThat(failure).isInstanceOf(StoreRejectedException.class)
        .hasMessageContaining("too long");
    assertThat(((StoreRejectedException) failure).sqlState()).isEqualTo("22001");
    assertThat(count(db, "inbound_message")).isZero();
    assertThat(count(db, "outage")).isZero();
    assertThat(count(db, "claim")).isZero();
  }

  @Test
  void token_longer_than_256_characters_is_rejected_and_nothing_is_written() {
    ClaimCheck check = new ClaimCheck("t".repeat(257), PushStore.DEFAULT_OUTAGE_SERVICE, null);
    OutageChange change = new OutageChange("OUT-1", "RESOURCE", 1, "APPROVED", null, Pushes.MODIFIED, check);

    Throwable outageFailure = failureOf(store.storeOutageChange(message("m-1", "doc"), change));
    Throwable eventFailure = failureOf(store.storeMarketEvent(message("m-2", "doc"), marketEvent("E-1", check)));

    assertThat(outageFailure).isInstanceOf(StoreRejectedException.class);
    assertThat(eventFailure).isInstanceOf(StoreRejectedException.class);
    assertThat(count(db, "inbound_message") + count(db, "outage") + count(db, "market_event") + count(db, "claim")).isZero();
  }

  @Test
  void market_event_missing_a_required_field_is_rejected_and_nothing_is_written() {
    MarketEvent noMarket = new MarketEvent("E-1", "MARKET_CLOSED", null, null, Pushes.MODIFIED, null, null);

    Throwable failure = failureOf(store.storeMarketEvent(message("m-1", "doc"), noMarket));

    assertThat(failure).isInstanceOf(StoreRejectedException.class);
    assertThat(((StoreRejectedException) failure).sqlState()).isEqualTo("23502");
    assertThat(count(db, "inbound_message")).isZero();
  }

  @Test
  void ping_succeeds_while_the_database_answers() {
    await(store.ping());
  }

  @Test
  void store_is_unavailable_when_nothing_listens_on_the_database_port() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Pool nowhere = Pools.create(fresh.vertx(), DatabaseUrl.local(closedPort, "oms", "postgres"), 2);
    try {
      PushStore unavailable = new PushStore(nowhere);

      assertThat(failureOf(unavailable.storeOutageChange(message("m-1", "doc"), outage("OUT-1", 1))))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(failureOf(unavailable.storeMarketEvent(message("m-2", "doc"), marketEvent("E-1", null))))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(failureOf(unavailable.ping())).isInstanceOf(StoreUnavailableException.class);
    } finally {
      await(nowhere.close());
    }
  }
}
