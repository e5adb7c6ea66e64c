package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class StoreFailuresTest {

  private static PgException pg(String sqlState) {
    return new PgException("message of " + sqlState, "ERROR", sqlState, null);
  }

  @Test
  void data_the_database_refuses_is_refused_data_not_an_unavailable_database() {
    for (String state : new String[] {"22001", "22021", "23502", "23505", "23514"}) {
      assertThat(StoreFailures.refusedData(pg(state))).as(state).isTrue();
      assertThat(StoreFailures.unavailable(pg(state))).as(state).isFalse();
    }
  }

  @Test
  void no_connection_or_a_server_that_cannot_serve_now_is_unavailable() {
    assertThat(StoreFailures.unavailable(new ConnectException("Connection refused"))).isTrue();
    assertThat(StoreFailures.unavailable(ClosedConnectionException.INSTANCE)).isTrue();
    assertThat(StoreFailures.unavailable(new RuntimeException("wrapped", new ConnectException("refused")))).isTrue();
    for (String state : new String[] {"08006", "57P01", "57P03", "53300", "40001", "55000", "3D000", "28P01"}) {
      assertThat(StoreFailures.unavailable(pg(state))).as(state).isTrue();
    }
  }

  @Test
  void a_defect_of_ours_is_neither() {
    for (Throwable t : new Throwable[] {pg("42703"), pg("42P01"), pg("XX000"), new NullPointerException(),
        new IllegalStateException("bug")}) {
      assertThat(StoreFailures.unavailable(t)).as(t.toString()).isFalse();
      assertThat(StoreFailures.refusedData(t)).as(t.toString()).isFalse();
    }
  }
}
