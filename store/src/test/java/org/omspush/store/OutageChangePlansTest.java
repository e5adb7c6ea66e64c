package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.omspush.store.testing.TestDatabase;

/**
 * An outage push on a database too young for statistics (the first hours of an installation): its
 * supersession step must look up its own outage's pending claims, not read every pending claim of
 * its participant, whichever plan Postgres caches. A backlog of pending claims (a participant
 * whose ISO is in maintenance) otherwise makes every push slower by its size.
 */
class OutageChangePlansTest {
  private static final int BACKLOG = 2_000;

  @ParameterizedTest
  @ValueSource(strings = {"force_generic_plan", "force_custom_plan", "auto"})
  void a_push_reads_its_own_outage_and_not_its_participants_whole_pending_queue(String planCache) throws Exception {
    DatabaseUrl db = TestDatabase.fresh();
    try (Connection c = TestDatabase.connect(db); Statement st = c.createStatement()) {
      st.execute("SET plan_cache_mode = " + planCache);
      for (int i = 0; i < BACKLOG; i++) {
        push(c, "OUT-" + i, 1);
      }
      long before = claimIndexTuplesRead(c);

      push(c, "OUT-7", 2);

      assertThat(claimIndexTuplesRead(c) - before)
          .as("claim index entries read by one push, with %d claims pending", BACKLOG)
          .isLessThan(100);
      try (ResultSet rs = st.executeQuery("SELECT state FROM claim WHERE outage_mrid = 'OUT-7' ORDER BY version")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("SUPERSEDED");
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("PENDING");
      }
    }
  }

  private static void push(Connection c, String mrid, long version) throws SQLException {
    String id = mrid + "-v" + version;
    try (PreparedStatement ps = c.prepareStatement("SELECT new_claim_id FROM store_outage_change(?, ?, "
        + "'receiveOutageStatusChange_v1', 'CN=iso', ?, ?, ?, 'RESOURCE', ?, 'RECEIVED', NULL, ?, ?, "
        + "'RetrieveOutageByClaimCheck', ?)")) {
      ps.setString(1, "default");
      ps.setString(2, id);
      ps.setString(3, "sha-" + id);
      ps.setBytes(4, ("<push id='" + id + "'/>").getBytes());
      ps.setString(5, mrid);
      ps.setLong(6, version);
      ps.setTimestamp(7, Timestamp.from(Instant.now()));
      ps.setString(8, "tok-" + id);
      ps.setTimestamp(9, Timestamp.from(Instant.now().plusSeconds(86_400)));
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isPositive();
      }
    }
  }

  /** Index entries read on {@code claim} so far, this session's counts flushed first. */
  private static long claimIndexTuplesRead(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_stat_force_next_flush()");
      try (ResultSet rs = st.executeQuery(
          "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE relname = 'claim'")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
