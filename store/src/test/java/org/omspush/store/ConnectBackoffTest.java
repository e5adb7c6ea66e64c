package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.RepeatedTest;

class ConnectBackoffTest {

  @RepeatedTest(20)
  void the_delay_doubles_with_each_failure_within_half_and_all_of_it_and_is_capped() {
    assertThat(ConnectBackoff.delayMillis(0)).isZero();
    assertThat(ConnectBackoff.delayMillis(1)).isBetween(125L, 250L);
    assertThat(ConnectBackoff.delayMillis(2)).isBetween(250L, 500L);
    assertThat(ConnectBackoff.delayMillis(4)).isBetween(1000L, 2000L);
    assertThat(ConnectBackoff.delayMillis(7)).isBetween(5000L, 10_000L);
    assertThat(ConnectBackoff.delayMillis(1000)).isBetween(5000L, 10_000L);
  }
}
