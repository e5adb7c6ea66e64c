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
}
