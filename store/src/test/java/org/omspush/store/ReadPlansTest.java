package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.store.testing.TestDatabase;

/**
 * The read API's statements on a database with many outages, claims, events and deliveries:
 * each page and each history is found through indexes, never by reading a whole table, and runs
 * in a read-only transaction (invariant 10: reads never write). Plans as Postgres caches them for
 * the pool's prepared statements (generic), executed for real.
 */
class ReadPlansTest {
  static final int OUTAGES = 20_000;
  static DatabaseUrl db;

  @BeforeAll
  static void manyOutagesOfTwoParticipants() {
    db = TestDatabase.fresh();
    TestDatabase.execute(db, "INSERT INTO subscriber (id, url, event_types) SELECT gen_random_uuid(), "
        + "'https://hooks.example.com/' || g, '{outage.status-changed,market.event}' FROM generate_series(1, 2) g");
    TestDatabase.execute(db, "INSERT INTO inbound_message (participant, message_id, raw_xml) "
        + "SELECT CASE WHEN g % 2 = 0 THEN 'default' ELSE 'SC_2' END, 'm-' || g || '-' || v, '\\x00'::bytea "
        + "FROM generate_series(1, " + OUTAGES + ") g, generate_series(1, 3) v");
    TestDatabase.execute(db, "INSERT INTO outage (participant, outage_mrid, outage_type, newest_version, updated_at) "
        + "SELECT CASE WHEN g % 2 = 0 THEN 'default' ELSE 'SC_2' END, 'OUT-' || g, 'RESOURCE', 3, "
        + "now() - g * interval '1 second' FROM generate_series(1, " + OUTAGES + ") g");
    TestDatabase.execute(db, "INSERT INTO claim (inbound_message_id, participant, kind, outage_mrid, version, status, "
        + "service, state) SELECT m.id, m.participant, 'OUTAGE', 'OUT-' || g, v, 'APPROVED', 'retrieveOutage', "
        + "CASE WHEN v = 3 THEN 'REDEEMED' ELSE 'SUPERSEDED' END FROM generate_series(1, " + OUTAGES + ") g, "
        + "generate_series(1, 3) v, inbound_message m WHERE m.message_id = 'm-' || g || '-' || v");
    TestDatabase.execute(db, "INSERT INTO event (id, participant, type, subject, time, outage_mrid, outage_version, "
        + "data, claim_id, inbound_message_id) SELECT gen_random_uuid(), c.participant, 'outage.status-changed', "
        + "c.outage_mrid, now(), c.outage_mrid, c.version, '{}', c.id, c.inbound_message_id FROM claim c "
        + "WHERE c.state = 'REDEEMED'");
    TestDatabase.execute(db, "INSERT INTO market_event (participant, inbound_message_id, event_id, event_type, market, "
        + "trade_date, event_time, fanout_state, created_at) SELECT m.participant, m.id, 'EV-' || m.id, "
        + "'MARKET_CLOSED', 'DAM', current_date, now(), 'READY', now() - m.id * interval '1 second' "
        + "FROM inbound_message m WHERE m.message_id LIKE 'm-%-1'");
    TestDatabase.execute(db, "ANALYZE");
  }

  @Test
  void a_page_of_outages_reads_the_newest_changes_through_the_outage_index() throws SQLException {
    String plan = plan("la(timestamptz, timestamptz, text, text, int, text, text, text, int)", OutagesSql.LIST_ALL,
        "la('-infinity', 'infinity', '', '', 10000, NULL, NULL, NULL, 51)");

    assertThat(plan).contains("outage_changed_idx").contains("claim_outage_version_idx")
        .doesNotContain("Seq Scan").doesNotContain("Sort Key: o.");
  }

  @Test
  void a_page_of_one_participants_outages_with_every_filter_stays_within_its_window() throws SQLException {
    String plan = plan("lp(timestamptz, timestamptz, text, text, int, text, text, text, int)",
        OutagesSql.LIST_OF_PARTICIPANT,
        "lp(now() - interval '1 day', now(), 'SC_2', 'OUT-9', 10000, 'resource', '%out-1%', 'approved', 51)");

    assertThat(plan).contains("outage_changed_idx").contains("participant = $3)").contains("claim_outage_version_idx")
        .doesNotContain("Seq Scan").doesNotContain("Sort Key: o.");
    assertThat(plan).as("at most the window is read, however little matches").contains("Limit");
  }

  @Test
  void where_a_window_ends_is_found_in_the_index_too() throws SQLException {
    assertThat(plan("we(timestamptz, timestamptz, text, text, int)", OutagesSql.WINDOW_END_ALL,
        "we('-infinity', 'infinity', '', '', 10000)")).contains("outage_changed_idx").doesNotContain("Seq Scan");
    assertThat(plan("me(timestamptz, timestamptz, bigint, int)", EventsSql.MARKET_WINDOW_END,
        "me('-infinity', 'infinity', 9223372036854775807, 10000)")).contains("market_event_created_idx")
        .doesNotContain("Seq Scan");
  }

  @Test
  void an_outages_history_reads_its_own_claims_events_and_deliveries_only() throws SQLException {
    String versions = plan("hv(text, text, int)", OutagesSql.VERSIONS, "hv('SC_2', 'OUT-77', 1001)");
    String deliveries = plan("hd(text, text, int)", OutagesSql.DELIVERIES, "hd('SC_2', 'OUT-77', 5001)");

    assertThat(versions).contains("claim_outage_version_idx").doesNotContain("Seq Scan");
    assertThat(deliveries).contains("event_outage_idx").contains("delivery_event_subscriber_key")
        .doesNotContain("Seq Scan on delivery").doesNotContain("Seq Scan on event");
  }

  @Test
  void market_events_and_an_events_deliveries_are_read_through_indexes() throws SQLException {
    String market = plan("mk(timestamptz, timestamptz, bigint, int, text, text, int)", EventsSql.MARKET_EVENTS,
        "mk('-infinity', 'infinity', 9223372036854775807, 10000, 'SC_2', 'dam', 51)");
    String event = (String) TestDatabase.rows(db, "SELECT id::text AS id FROM event LIMIT 1").get(0).get("id");
    String deliveries = plan("ed(uuid)", EventsSql.EVENT_DELIVERIES, "ed('" + event + "')");

    assertThat(market).contains("market_event_created_idx").doesNotContain("Seq Scan on market_event")
        .doesNotContain("Seq Scan on claim").doesNotContain("Seq Scan on event");
    assertThat(deliveries).contains("delivery_event_subscriber_key").doesNotContain("Seq Scan on delivery");
  }

  /** The generic plan, executed (EXPLAIN ANALYZE) in a read-only transaction: a write would fail it. */
  private static String plan(String signature, String sql, String execute) throws SQLException {
    return String.join("\n", TestDatabase.plan(db, "force_generic_plan", true, signature, sql, execute));
  }
}
