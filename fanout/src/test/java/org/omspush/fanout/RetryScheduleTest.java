package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {

  @Test
  void the_default_retries_eleven_times_over_about_a_day() {
    RetrySchedule d = RetrySchedule.DEFAULT;
    assertThat(d.attempts()).isEqualTo(11);
    assertThat(d.span()).isBetween(Duration.ofHours(20), Duration.ofHours(26));
    assertThat(d.isLast(10)).isFalse();
    assertThat(d.isLast(11)).isTrue();
  }

  @Test
  void delays_grow_and_jitter_stays_within_twenty_percent() {
    RetrySchedule s = RetrySchedule.parse("10s,1m");
    for (int i = 0; i < 200; i++) {
      assertThat(s.delayAfter(1).toMillis()).isBetween(8_000L, 12_000L);
      assertThat(s.delayAfter(2).toMillis()).isBetween(48_000L, 72_000L);
    }
    assertThatThrownBy(() -> s.delayAfter(3)).hasMessageContaining("last");
  }

  @Test
  void schedules_and_durations_read_as_settings_write_them() {
    assertThat(RetrySchedule.parse("250ms, 15s,2m,24h,1d,PT3S").delays()).containsExactly(Duration.ofMillis(250),
        Duration.ofSeconds(15), Duration.ofMinutes(2), Duration.ofHours(24), Duration.ofDays(1), Duration.ofSeconds(3));
    assertThat(RetrySchedule.parse("none").attempts()).isEqualTo(1);
    assertThat(Durations.parse("15")).isEqualTo(Duration.ofSeconds(15));
    assertThatThrownBy(() -> RetrySchedule.parse("5s,soon")).hasMessageContaining("'soon' is not a duration");
    assertThatThrownBy(() -> RetrySchedule.parse("0s")).hasMessageContaining("more than zero");
  }
}
