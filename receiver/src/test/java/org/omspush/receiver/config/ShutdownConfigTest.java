package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShutdownConfigTest {
  @Test
  void defaults_leave_room_inside_the_pods_grace_period() {
    ShutdownConfig c = ShutdownConfig.from(Map.of());
    assertThat(c.drainDelay()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(25));
  }

  @Test
  void durations_are_read_as_elsewhere() {
    ShutdownConfig c = ShutdownConfig.from(Map.of("OMS_DRAIN_DELAY", "0", "OMS_SHUTDOWN_TIMEOUT", "PT10S"));
    assertThat(c.drainDelay()).isZero();
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void a_delay_not_shorter_than_the_timeout_is_refused_naming_the_setting() {
    assertThatThrownBy(() -> ShutdownConfig.from(Map.of("OMS_DRAIN_DELAY", "30s")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("OMS_DRAIN_DELAY");
    assertThatThrownBy(() -> ShutdownConfig.from(Map.of("OMS_SHUTDOWN_TIMEOUT", "soon")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("OMS_SHUTDOWN_TIMEOUT");
  }
}
