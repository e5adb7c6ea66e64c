package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.fanout.FanoutSettings;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.DevEnvironment;

class FanoutConfigTest {
  @TempDir static Path dir;
  static DevPki pki;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir.resolve("pki"));
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>(DevEnvironment.of(pki));
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  private static String failure(String... pairs) {
    try {
      ReceiverConfig.from(env(pairs));
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("the configuration was accepted");
  }

  @Test
  void defaults_follow_the_documented_values() {
    Map<String, String> env = env();
    env.keySet().removeIf(k -> k.startsWith("OMS_ADMIN") || k.startsWith("OMS_SUBSCRIBER"));
    FanoutConfig c = ReceiverConfig.from(env).fanout();
    assertThat(c.adminPort()).isEqualTo(8081);
    assertThat(c.adminHost()).isEqualTo("0.0.0.0");
    assertThat(c.adminToken()).as("no token: the admin API stays off").isNull();
    FanoutSettings f = c.fanout();
    assertThat(f.instanceName()).isEqualTo("default");
    assertThat(f.inlinePayloadMax()).isEqualTo(262_144);
    assertThat(f.payloadUrlTtl()).isEqualTo(Duration.ofHours(24));
    assertThat(f.publicBaseUrl()).isNull();
    assertThat(f.deliveryTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(f.guard().allowsHttp()).isFalse();
    assertThat(f.retrySchedule().span()).isGreaterThan(Duration.ofHours(20));
  }

  @Test
  void settings_are_read_and_wrong_values_name_their_setting() {
    FanoutSettings f = ReceiverConfig.from(env("OMS_INSTANCE_NAME", "west-1", "OMS_INLINE_PAYLOAD_MAX", "1024",
        "OMS_PAYLOAD_URL_TTL", "2h", "OMS_PUBLIC_BASE_URL", "https://oms.example.com/", "OMS_DELIVERY_TIMEOUT", "5s",
        "OMS_DELIVERY_RETRY_SCHEDULE", "1s,2s")).fanout().fanout();
    assertThat(f.instanceName()).isEqualTo("west-1");
    assertThat(f.inlinePayloadMax()).isEqualTo(1024);
    assertThat(f.payloadUrlTtl()).isEqualTo(Duration.ofHours(2));
    assertThat(f.publicBaseUrl()).isEqualTo("https://oms.example.com");
    assertThat(f.deliveryTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(f.retrySchedule().attempts()).isEqualTo(3);

    assertThat(failure("OMS_ADMIN_TOKEN", "short")).startsWith("OMS_ADMIN_TOKEN:");
    assertThat(failure("OMS_ADMIN_PORT", "80000")).startsWith("OMS_ADMIN_PORT:");
    assertThat(failure("OMS_SUBSCRIBER_ALLOW", "127.0.0.1/99")).startsWith("OMS_SUBSCRIBER_ALLOW:");
    assertThat(failure("OMS_SUBSCRIBER_ALLOW_HTTP", "perhaps")).startsWith("OMS_SUBSCRIBER_ALLOW_HTTP:");
    assertThat(failure("OMS_DELIVERY_TIMEOUT", "soon")).startsWith("OMS_DELIVERY_TIMEOUT:");
    assertThat(failure("OMS_PAYLOAD_URL_TTL", "0s")).startsWith("OMS_PAYLOAD_URL_TTL:");
    assertThat(failure("OMS_INLINE_PAYLOAD_MAX", "-1")).startsWith("OMS_INLINE_PAYLOAD_MAX:");
    assertThat(failure("OMS_PUBLIC_BASE_URL", "oms.example.com")).startsWith("OMS_PUBLIC_BASE_URL:");
    assertThat(failure("OMS_INSTANCE_NAME", "a b")).startsWith("OMS_INSTANCE_NAME:");
    assertThat(failure("OMS_DELIVERY_RETRY_SCHEDULE", "1s,later")).startsWith("OMS_DELIVERY_RETRY_SCHEDULE:");
  }

  @Test
  void the_admin_token_never_appears_in_the_printed_settings() {
    FanoutConfig c = ReceiverConfig.from(env("OMS_ADMIN_TOKEN", "a-long-secret-admin-token")).fanout();
    assertThat(c.toString()).doesNotContain("a-long-secret-admin-token");
  }
}
