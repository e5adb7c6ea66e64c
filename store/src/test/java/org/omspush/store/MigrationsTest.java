package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.rows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.omspush.store.testing.TestDatabase;

class MigrationsTest {

  @Test
  void migrations_apply_on_an_empty_database_and_a_second_run_is_a_no_op() {
    DatabaseUrl db = TestDatabase.empty();

    int first = Migrations.migrate(db);
    long historyAfterFirst = count(db, "flyway_schema_history");
    int second = Migrations.migrate(db);

    assertThat(first).isGreaterThanOrEqualTo(1);
    assertThat(second).isZero();
    assertThat(count(db, "flyway_schema_history")).isEqualTo(historyAfterFirst);
    assertThat(rows(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        + " AND table_name IN ('inbound_message', 'outage', 'claim', 'market_event') ORDER BY table_name"))
        .containsExactly(
            Map.of("table_name", "claim"),
            Map.of("table_name", "inbound_message"),
            Map.of("table_name", "market_event"),
            Map.of("table_name", "outage"));
  }

  @Test
  void schema_enforces_the_contract_lengths_and_states() {
    DatabaseUrl db = TestDatabase.fresh();

    assertThat(rows(db, "SELECT column_name, character_maximum_length FROM information_schema.columns"
        + " WHERE table_name = 'claim' AND column_name IN ('outage_mrid', 'token') ORDER BY column_name"))
        .containsExactly(
            Map.of("column_name", "outage_mrid", "character_maximum_length", 40),
            Map.of("column_name", "token", "character_maximum_length", 256));
    assertThat(rows(db, "SELECT column_default FROM information_schema.columns"
        + " WHERE table_name = 'claim' AND column_name = 'state'"))
        .containsExactly(Map.of("column_default", "'PENDING'::text"));
  }

  @Test
  void no_index_of_the_delivery_queue_names_a_lease_column_so_taking_a_lease_is_a_hot_update() {
    DatabaseUrl db = TestDatabase.fresh();

    var indexes = rows(db, "SELECT indexdef FROM pg_indexes WHERE tablename = 'delivery'");
    assertThat(indexes).as("the delivery indexes").hasSizeGreaterThanOrEqualTo(4);
    assertThat(indexes).allSatisfy(row -> assertThat((String) row.get("indexdef"))
        .doesNotContain("lease_owner").doesNotContain("lease_until").doesNotContain("attempts")
        .doesNotContain("updated_at"));
    assertThat(rows(db, "SELECT reloptions::text AS options FROM pg_class WHERE relname = 'delivery'"))
        .singleElement().satisfies(row -> assertThat((String) row.get("options")).contains("fillfactor=80"));
  }

  @Test
  void every_foreign_key_retention_checks_has_an_index_and_the_lease_table_exists() {
    DatabaseUrl db = TestDatabase.fresh();

    var indexes = rows(db, "SELECT tablename || ': ' || indexdef AS def FROM pg_indexes"
        + " WHERE tablename IN ('event', 'claim')").stream().map(r -> (String) r.get("def")).toList();
    assertThat(indexes).anySatisfy(d -> assertThat(d).startsWith("event:").contains("(payload_id)"));
    assertThat(indexes).anySatisfy(d -> assertThat(d).startsWith("event:").contains("(claim_id)"));
    assertThat(indexes).anySatisfy(d -> assertThat(d).startsWith("event:").contains("(inbound_message_id)"));
    assertThat(indexes).anySatisfy(d -> assertThat(d).startsWith("claim:").contains("(payload_id)"));
    assertThat(indexes).anySatisfy(d -> assertThat(d).startsWith("claim:").contains("(inbound_message_id)"));
    assertThat(indexes).anySatisfy(d -> assertThat(d).startsWith("claim:").contains("(market_event_id)"));
    assertThat(rows(db, "SELECT column_name, data_type FROM information_schema.columns"
        + " WHERE table_name = 'maintenance_lease' ORDER BY ordinal_position"))
        .containsExactly(
            Map.of("column_name", "name", "data_type", "text"),
            Map.of("column_name", "owner", "data_type", "text"),
            Map.of("column_name", "lease_until", "data_type", "timestamp with time zone"));
  }

  @Test
  void participants_migration_moves_existing_rows_to_default_and_makes_the_keys_per_participant() {
    DatabaseUrl db = TestDatabase.empty();
    migrateToJustBefore(db, "19");
    TestDatabase.execute(db, "INSERT INTO subscriber (id, url, event_types) VALUES "
        + "(gen_random_uuid(), 'https://hooks.example.com/', '{outage.status-changed}')");
    TestDatabase.execute(db, "INSERT INTO inbound_message (message_id, raw_xml) VALUES ('m-1', '\\x00')");
    TestDatabase.execute(db, "INSERT INTO outage (outage_mrid, newest_version) VALUES ('OUT-1', 1)");
    TestDatabase.execute(db, "INSERT INTO claim (inbound_message_id, kind, outage_mrid, version, status, service) "
        + "VALUES (1, 'OUTAGE', 'OUT-1', 1, 'APPROVED', 'svc')");
    TestDatabase.execute(db, "INSERT INTO market_event (inbound_message_id, event_id, event_type, market, trade_date, "
        + "event_time, fanout_state) VALUES (1, 'EV-1', 'MARKET_CLOSED', 'DAM', '2026-11-22', now(), 'READY')");
    TestDatabase.execute(db, "INSERT INTO event (id, type, subject, time, outage_mrid, outage_version, data, claim_id) "
        + "VALUES (gen_random_uuid(), 'outage.status-changed', 'OUT-1', now(), 'OUT-1', 1, '{}', 1)");

    Migrations.migrate(db);

    for (String table : java.util.List.of("inbound_message", "outage", "claim", "market_event", "event", "delivery")) {
      assertThat(count(db, table)).as(table).isEqualTo(1);
      assertThat(count(db, table, "participant = 'default'")).as(table + " rows moved to default").isEqualTo(1);
    }
    assertThat(rows(db, "SELECT conname FROM pg_constraint WHERE conname LIKE '%participant%' AND NOT convalidated"))
        .as("every participant check validated (V20)").isEmpty();
    assertThat(rows(db, "SELECT convalidated FROM pg_constraint WHERE conname = 'claim_outage_fkey'"))
        .containsExactly(Map.of("convalidated", true));
    // the same MessageID and mRID for another participant are new rows; for the same one, a conflict
    TestDatabase.execute(db, "INSERT INTO inbound_message (participant, message_id, raw_xml) VALUES ('SC_2', 'm-1', '\\x00')");
    TestDatabase.execute(db, "INSERT INTO outage (participant, outage_mrid, newest_version) VALUES ('SC_2', 'OUT-1', 5)");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestDatabase.execute(db,
            "INSERT INTO inbound_message (message_id, raw_xml) VALUES ('m-1', '\\x00')"))
        .rootCause().hasMessageContaining("inbound_message_participant_message_key");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestDatabase.execute(db,
            "INSERT INTO claim (participant, inbound_message_id, kind, outage_mrid, version, status, service) "
                + "VALUES ('SC_3', 1, 'OUTAGE', 'OUT-1', 1, 'APPROVED', 'svc')"))
        .as("a claim's outage is its own participant's").rootCause().hasMessageContaining("claim_outage_fkey");
  }

  @Test
  void the_indexes_the_hot_paths_use_survive_the_participants_migration() {
    DatabaseUrl db = TestDatabase.fresh();

    assertThat(rows(db, "SELECT indexname FROM pg_indexes WHERE indexname IN ('claim_outage_version_idx', "
        + "'claim_pending_by_outage_idx', 'claim_due_idx', 'event_outage_idx', 'delivery_next_idx', "
        + "'delivery_outage_idx', 'delivery_pending_outage_idx', 'delivery_subscriber_state_idx')"))
        .hasSize(8);
    assertThat(rows(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'outage_pkey'"))
        .singleElement().satisfies(r -> assertThat((String) r.get("indexdef")).endsWith("(participant, outage_mrid)"));
  }

  /** Applies every migration older than {@code version} (the other migrations of its time may be fewer or more). */
  private static void migrateToJustBefore(DatabaseUrl db, String version) {
    var config = org.flywaydb.core.Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(db.jdbcUrl(), db.user(), db.password()).locations(Migrations.LOCATION);
    var limit = org.flywaydb.core.api.MigrationVersion.fromVersion(version);
    var before = java.util.Arrays.stream(config.load().info().all())
        .map(org.flywaydb.core.api.MigrationInfo::getVersion)
        .filter(v -> v.compareTo(limit) < 0)
        .max(Comparable::compareTo).orElseThrow();
    config.target(before).load().migrate();
  }
}
