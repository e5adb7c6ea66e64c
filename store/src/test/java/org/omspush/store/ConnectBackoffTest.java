package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.omspush.store.testing.TestDatabase;

class ConnectBackoffTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @RepeatedTest(20)
  void the_delay_doubles_with_each_failure_within_half_and_all_of_it_and_is_capped() {
    assertThat(ConnectBackoff.delayMillis(0)).isZero();
    assertThat(ConnectBackoff.delayMillis(1)).isBetween(125L, 250L);
    assertThat(ConnectBackoff.delayMillis(2)).isBetween(250L, 500L);
    assertThat(ConnectBackoff.delayMillis(4)).isBetween(1000L, 2000L);
    assertThat(ConnectBackoff.delayMillis(7)).isBetween(5000L, 10_000L);
    assertThat(ConnectBackoff.delayMillis(1000)).isBetween(5000L, 10_000L);
  }

  @Test
  void a_pool_whose_database_refuses_connections_stops_opening_them_after_its_size_in_attempts() throws Exception {
    DatabaseUrl refusing = new DatabaseUrl("127.0.0.1", closedPort(), "oms", "oms", null, "disable", null);
    Pool pool = Pools.create(vertx, refusing, 2);
    try {
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        failures.add(pool.query("SELECT 1").execute().<String>transform(ar -> Future.succeededFuture(
            ar.failed() ? String.valueOf(ar.cause().getMessage()) : "answered")).await(10, TimeUnit.SECONDS));
      }
      assertThat(failures.subList(0, 2)).allSatisfy(f -> assertThat(f).contains("Connection refused"));
      // the third attempt is the one made on its own (refused too); then no socket until the delay has passed
      assertThat(failures.subList(3, 8)).allSatisfy(f -> assertThat(f).contains("restarting or refusing connections"));
    } finally {
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void once_the_database_accepts_a_connection_again_the_pool_connects_as_before() throws Exception {
    DatabaseUrl url = ServerTls.settle(TestDatabase.server(), java.time.Duration.ofSeconds(5));
    ConnectBackoff backoff = new ConnectBackoff(vertx, url.connectOptions(), new NetClientOptions(), 2);
    backoff.options().get().await(10, TimeUnit.SECONDS);
    backoff.options().get().await(10, TimeUnit.SECONDS);
    // a third attempt without either succeeding: backing off, it is tried on its own first, and succeeds
    assertThat(backoff.options().get().await(10, TimeUnit.SECONDS).getPort()).isEqualTo(url.port());
    assertThat(backoff.options().get().succeeded()).as("handed out at once again").isTrue();
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
