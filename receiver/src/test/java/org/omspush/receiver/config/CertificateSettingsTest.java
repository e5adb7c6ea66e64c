package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.DevEnvironment;

class CertificateSettingsTest {
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
  void defaults_reload_every_30_seconds_and_warn_30_days_ahead() {
    CertificateSettings c = ReceiverConfig.from(env()).certificates();
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.warnDays()).isEqualTo(30);
    assertThat(c.serverCa()).isNull();
    assertThat(c.pushPublicUrl()).isNull();
  }

  @Test
  void settings_are_read() {
    CertificateSettings c = ReceiverConfig.from(env("OMS_TLS_RELOAD_INTERVAL", "2m", "OMS_CERT_EXPIRY_WARN_DAYS", "45",
        "OMS_TLS_SERVER_CA", pki.serverCa().certificateFile().toString(),
        "OMS_PUSH_PUBLIC_URL", "https://oms.acme.example/iso/v1/push")).certificates();
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.warnDays()).isEqualTo(45);
    assertThat(c.serverCa()).isEqualTo(pki.serverCa().certificateFile());
    assertThat(c.pushPublicUrl()).isEqualTo(URI.create("https://oms.acme.example/iso/v1/push"));
  }

  @Test
  void wrong_values_name_their_setting() throws Exception {
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_TLS_RELOAD_INTERVAL", "10ms")))
        .hasMessageStartingWith("OMS_TLS_RELOAD_INTERVAL: must be between");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_TLS_RELOAD_INTERVAL", "soon")))
        .hasMessageStartingWith("OMS_TLS_RELOAD_INTERVAL:");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_CERT_EXPIRY_WARN_DAYS", "0")))
        .hasMessageStartingWith("OMS_CERT_EXPIRY_WARN_DAYS: must be 1 to 365");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_PUSH_PUBLIC_URL", "http://oms.acme.example/push")))
        .hasMessageStartingWith("OMS_PUSH_PUBLIC_URL: must be the https URL");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_TLS_SERVER_CA", dir.resolve("missing.pem").toString())))
        .hasMessageStartingWith("OMS_TLS_SERVER_CA: no such file");
    Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");
    assertThatThrownBy(() -> ReceiverConfig.from(env("OMS_TLS_SERVER_CA", notPem.toString())))
        .hasMessageStartingWith("OMS_TLS_SERVER_CA:");
  }
}
