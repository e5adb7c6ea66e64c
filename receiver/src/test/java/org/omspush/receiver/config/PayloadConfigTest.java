package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.DevEnvironment;

class PayloadConfigTest {
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

  @Test
  void the_payload_listener_defaults_to_port_8444_with_the_push_servers_certificate() {
    Map<String, String> env = env();
    env.keySet().removeIf(k -> k.startsWith("OMS_PAYLOAD"));
    PayloadConfig c = ReceiverConfig.from(env).payload();
    assertThat(c.port()).isEqualTo(8444);
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.ownCertificate()).isFalse();
    assertThat(c.plainHttp()).isFalse();
  }

  @Test
  void an_http_public_base_url_stops_start_up_with_one_line() {
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_PUBLIC_BASE_URL", "http://oms.example.com")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OMS_PUBLIC_BASE_URL: must be https://")
        .hasMessageContaining("OMS_PAYLOAD_ALLOW_HTTP=true")
        .hasMessageNotContaining("\n");
  }

  @Test
  void an_http_public_base_url_is_accepted_for_trials_and_the_listener_is_then_plain() {
    ReceiverConfig c = ReceiverConfig.from(env("OMS_PUBLIC_BASE_URL", "http://127.0.0.1:8444",
        "OMS_PAYLOAD_ALLOW_HTTP", "true"));
    assertThat(c.fanout().fanout().publicBaseUrl()).isEqualTo("http://127.0.0.1:8444");
    assertThat(c.payload().plainHttp()).isTrue();
    assertThat(ReceiverConfig.from(env("OMS_PUBLIC_BASE_URL", "https://oms.example.com", "OMS_PAYLOAD_ALLOW_HTTP",
        "true")).payload().plainHttp()).as("https stays https").isFalse();
  }

  @Test
  void a_certificate_without_its_key_is_refused() {
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_PAYLOAD_TLS_CERT",
        pki.receiverServer().certificateFile().toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OMS_PAYLOAD_TLS_KEY: set both");
  }
}
