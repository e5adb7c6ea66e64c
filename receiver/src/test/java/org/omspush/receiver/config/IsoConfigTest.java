package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.DevEnvironment;

/** The redemption settings of issue 10: how long to wait out the ISO, how many lost fetches. */
class IsoConfigTest {
  @TempDir static Path dir;
  static DevPki pki;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir.resolve("pki"));
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>(DevEnvironment.of(pki));
    env.put("OMS_ISO_BASE_URL", "https://iso.example.com");
    env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
    env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
    env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void the_iso_is_waited_out_for_72_hours_and_a_claim_is_set_aside_after_3_lost_fetches_by_default() {
    var r = ReceiverConfig.from(env()).iso().redemption();
    assertThat(r.giveUpAfter()).isEqualTo(Duration.ofHours(72));
    assertThat(r.maxLost()).isEqualTo(3);
    assertThat(r.maxAttempts()).isEqualTo(8);
    assertThat(r.backoffMax()).as("the longest pause between probes of an unavailable ISO")
        .isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void give_up_time_and_lost_fetches_are_read_from_the_environment() {
    var r = ReceiverConfig.from(env("OMS_REDEEM_GIVE_UP_AFTER", "6h", "OMS_REDEEM_MAX_LOST", "5")).iso()
        .redemption();
    assertThat(r.giveUpAfter()).isEqualTo(Duration.ofHours(6));
    assertThat(r.maxLost()).isEqualTo(5);
  }

  @Test
  void a_give_up_time_of_zero_or_a_bad_value_stops_start_up_naming_the_setting() {
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_REDEEM_GIVE_UP_AFTER", "0")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("OMS_REDEEM_GIVE_UP_AFTER: must be longer than 0");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_REDEEM_GIVE_UP_AFTER", "three days")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("OMS_REDEEM_GIVE_UP_AFTER: 'three days' is not");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_REDEEM_MAX_LOST", "0")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("OMS_REDEEM_MAX_LOST: must be 1 or more");
  }
}
