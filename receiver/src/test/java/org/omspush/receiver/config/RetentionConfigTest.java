package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.omspush.store.retention.RetentionPolicy;

class RetentionConfigTest {

  @Test
  void defaults_keep_deliveries_a_week_dead_letters_and_events_a_month_claims_and_pushes_a_quarter() {
    RetentionConfig c = RetentionConfig.from(Map.of());
    assertThat(c.policy()).isEqualTo(new RetentionPolicy(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(30),
        Duration.ofDays(90)));
    assertThat(c.interval()).isEqualTo(Duration.ofHours(1));
    assertThat(c.firstRun()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.policy().keepsEverything()).isFalse();
  }

  @Test
  void ages_and_the_interval_are_read_as_durations() {
    RetentionConfig c = RetentionConfig.from(Map.of("OMS_RETENTION_DELIVERIES", "12h", "OMS_RETENTION_DEAD", "45d",
        "OMS_RETENTION_EVENTS", "P14D", "OMS_RETENTION_MESSAGES", "365d", "OMS_RETENTION_INTERVAL", "15m"));
    assertThat(c.policy()).isEqualTo(new RetentionPolicy(Duration.ofHours(12), Duration.ofDays(45),
        Duration.ofDays(14), Duration.ofDays(365)));
    assertThat(c.interval()).isEqualTo(Duration.ofMinutes(15));
    assertThat(RetentionConfig.from(Map.of("OMS_RETENTION_INTERVAL", "1m")).interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(RetentionConfig.from(Map.of("OMS_RETENTION_INTERVAL", "1d")).interval()).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void off_or_zero_keeps_forever() {
    RetentionConfig c = RetentionConfig.from(Map.of("OMS_RETENTION_DELIVERIES", "off", "OMS_RETENTION_DEAD", "0",
        "OMS_RETENTION_EVENTS", "OFF", "OMS_RETENTION_MESSAGES", "0"));
    assertThat(c.policy()).isEqualTo(RetentionPolicy.keepForever());
    assertThat(c.policy().keepsEverything()).isTrue();

    RetentionConfig one = RetentionConfig.from(Map.of("OMS_RETENTION_DEAD", "off"));
    assertThat(one.policy().dead()).isNull();
    assertThat(one.policy().deliveries()).isEqualTo(Duration.ofDays(7));
    assertThat(one.policy().keepsEverything()).isFalse();
  }

  @Test
  void bad_ages_are_refused_naming_the_variable() {
    for (String name : new String[] {"OMS_RETENTION_DELIVERIES", "OMS_RETENTION_DEAD", "OMS_RETENTION_EVENTS",
        "OMS_RETENTION_MESSAGES"}) {
      for (String bad : new String[] {"forever", "7", "-1d", "PT-5H", "7 weeks"}) {
        assertThatThrownBy(() -> RetentionConfig.from(Map.of(name, bad)))
            .as(name + "=" + bad)
            .isInstanceOf(ConfigException.class)
            .hasMessageStartingWith(name + ": '" + bad + "'");
      }
    }
  }

  @Test
  void an_interval_outside_one_minute_to_one_day_is_refused_naming_the_variable() {
    for (String bad : new String[] {"30s", "59s", "2d", "0", "off", "hourly"}) {
      assertThatThrownBy(() -> RetentionConfig.from(Map.of("OMS_RETENTION_INTERVAL", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("OMS_RETENTION_INTERVAL: ");
    }
  }
}
