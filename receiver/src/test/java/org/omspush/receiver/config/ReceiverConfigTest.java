package org.omspush.receiver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.DevEnvironment;
import org.omspush.receiver.push.PushLimits;

class ReceiverConfigTest {
  @TempDir static Path dir;
  static DevPki pki;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir.resolve("pki"));
  }

  private static Map<String, String> env() {
    return new HashMap<>(DevEnvironment.of(pki));
  }

  private static ConfigException failure(Map<String, String> env) {
    try {
      ReceiverConfig.from(env);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("the configuration was accepted");
  }

  @Test
  void defaults_follow_the_documented_values() {
    Map<String, String> env = env();
    env.remove("OMS_PUSH_PORT");
    env.remove("OMS_OPS_PORT");
    ReceiverConfig c = ReceiverConfig.from(env);
    assertThat(c.pushPort()).isEqualTo(8443);
    assertThat(c.opsPort()).isEqualTo(9090);
    assertThat(c.pushPath()).isEqualTo("/iso/v1/push");
    assertThat(c.maxBodyBytes()).isEqualTo(8L * 1024 * 1024);
    assertThat(c.requireSignature()).isTrue();
    assertThat(c.databaseUrl()).isNull();
    assertThat(c.dataDir()).isEqualTo(Path.of("./oms-data"));
    assertThat(c.retention()).isEqualTo(RetentionConfig.from(Map.of()));
  }

  @Test
  void the_console_has_no_view_token_and_8h_sessions_by_default_and_refuses_a_weak_or_reused_view_token() {
    ReceiverConfig c = ReceiverConfig.from(env());
    assertThat(c.console().viewToken()).isNull();
    assertThat(c.console().sessionTtl()).isEqualTo(java.time.Duration.ofHours(8));
    Map<String, String> env = env();
    env.put("OMS_CONSOLE_VIEW_TOKEN", "view-token-of-enough-length");
    env.put("OMS_CONSOLE_SESSION_TTL", "30m");
    c = ReceiverConfig.from(env);
    assertThat(c.console().viewToken()).isEqualTo("view-token-of-enough-length");
    assertThat(c.console().sessionTtl()).isEqualTo(java.time.Duration.ofMinutes(30));
    assertThat(c.console().toString()).doesNotContain("view-token-of-enough-length");
    env.put("OMS_CONSOLE_VIEW_TOKEN", "short");
    assertThat(failure(env).getMessage()).contains("OMS_CONSOLE_VIEW_TOKEN").contains("at least 16");
    env.put("OMS_CONSOLE_VIEW_TOKEN", env.get("OMS_ADMIN_TOKEN"));
    assertThat(failure(env).getMessage()).contains("OMS_CONSOLE_VIEW_TOKEN").contains("differ from OMS_ADMIN_TOKEN");
    env.remove("OMS_CONSOLE_VIEW_TOKEN");
    for (String ttl : List.of("0", "8d", "soon")) {
      env.put("OMS_CONSOLE_SESSION_TTL", ttl);
      assertThat(failure(env).getMessage()).as(ttl).contains("OMS_CONSOLE_SESSION_TTL");
    }
  }

  @Test
  void push_port_limits_default_to_10s_60s_256_connections_and_60s_keep_alive() {
    PushLimits limits = ReceiverConfig.from(env()).pushLimits();
    assertThat(limits).isEqualTo(new PushLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 256,
        Duration.ofSeconds(60)));
    assertThat(limits.advertisedKeepAliveSeconds()).isEqualTo(55);
  }

  @Test
  void push_port_limits_are_read_and_a_bad_one_stops_start_up_naming_it() {
    Map<String, String> env = env();
    env.put("OMS_PUSH_QUEUE_TIMEOUT", "2s");
    env.put("OMS_PUSH_REQUEST_TIMEOUT", "30s");
    env.put("OMS_PUSH_MAX_CONNECTIONS", "64");
    env.put("OMS_PUSH_KEEPALIVE_TIMEOUT", "8s");
    PushLimits limits = ReceiverConfig.from(env).pushLimits();
    assertThat(limits).isEqualTo(new PushLimits(Duration.ofSeconds(2), Duration.ofSeconds(30), 64, Duration.ofSeconds(8)));
    assertThat(limits.advertisedKeepAliveSeconds()).isEqualTo(4);
    env.put("OMS_PUSH_KEEPALIVE_TIMEOUT", "1s");
    assertThat(failure(env)).hasMessageStartingWith("OMS_PUSH_KEEPALIVE_TIMEOUT: must be at least 2s");
    env.put("OMS_PUSH_KEEPALIVE_TIMEOUT", "60s");
    env.put("OMS_PUSH_REQUEST_TIMEOUT", "0");
    assertThat(failure(env)).hasMessageStartingWith("OMS_PUSH_REQUEST_TIMEOUT: must be more than 0");
    env.put("OMS_PUSH_REQUEST_TIMEOUT", "30s");
    env.put("OMS_PUSH_MAX_CONNECTIONS", "0");
    assertThat(failure(env)).hasMessageStartingWith("OMS_PUSH_MAX_CONNECTIONS: must be 1 or more");
  }

  @Test
  void admin_tls_needs_both_files_and_is_off_without_them() {
    Map<String, String> env = env();
    assertThat(ReceiverConfig.from(env).adminTls()).isNull();
    env.put("OMS_ADMIN_TLS_CERT", pki.receiverServer().certificateFile().toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_ADMIN_TLS_KEY: not set");
    env.put("OMS_ADMIN_TLS_KEY", pki.receiverServer().keyFile().toString());
    assertThat(ReceiverConfig.from(env).adminTls().certChain()).isEqualTo(pki.receiverServer().certificateFile());
    env.put("OMS_ADMIN_TLS_KEY", pki.receiverServer().certificateFile().toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_ADMIN_TLS_KEY:");
  }

  @Test
  void a_bad_retention_setting_stops_start_up_naming_it() {
    Map<String, String> env = env();
    env.put("OMS_RETENTION_DEAD", "forever");
    assertThat(failure(env)).hasMessageStartingWith("OMS_RETENTION_DEAD: 'forever' is not a duration");
  }

  @Test
  void large_transfers_default_to_four_and_zero_stops_start_up_naming_it() {
    assertThat(ReceiverConfig.from(env()).largeTransfersMax()).isEqualTo(4);
    Map<String, String> env = env();
    env.put("OMS_LARGE_TRANSFERS_MAX", "0");
    assertThat(failure(env)).hasMessageStartingWith("OMS_LARGE_TRANSFERS_MAX:");
  }

  @Test
  void a_participants_directory_that_does_not_exist_stops_start_up_naming_it() {
    Map<String, String> env = env();
    env.put("OMS_PARTICIPANTS_DIR", dir.resolve("no-such-directory").toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_PARTICIPANTS_DIR: no such directory");
    env.put("OMS_PARTICIPANTS_DIR", dir.toString());
    assertThat(ReceiverConfig.from(env).participantsDir()).isEqualTo(dir);
  }

  @Test
  void missing_allow_list_names_the_setting() {
    Map<String, String> env = env();
    env.remove("OMS_PUSH_ALLOWED_SUBJECTS");
    assertThat(failure(env)).hasMessageStartingWith("OMS_PUSH_ALLOWED_SUBJECTS: not set");
  }

  @Test
  void empty_allow_list_is_a_start_up_error() {
    Map<String, String> env = env();
    env.put("OMS_PUSH_ALLOWED_SUBJECTS", " ; ");
    assertThat(failure(env)).hasMessageStartingWith("OMS_PUSH_ALLOWED_SUBJECTS:");
  }

  @Test
  void missing_or_unreadable_tls_files_name_the_setting() throws Exception {
    Map<String, String> env = env();
    env.remove("OMS_TLS_CERT");
    assertThat(failure(env)).hasMessageStartingWith("OMS_TLS_CERT: not set");

    env = env();
    env.put("OMS_TLS_KEY", dir.resolve("nope.pem").toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_TLS_KEY: no such file");

    Path notPem = Files.writeString(dir.resolve("garbage.pem"), "hello");
    env = env();
    env.put("OMS_TLS_CLIENT_CA", notPem.toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_TLS_CLIENT_CA:");

    env = env();
    env.put("OMS_TLS_KEY", pki.receiverServer().certificateFile().toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_TLS_KEY:").hasMessageContaining("no PEM private key");
  }

  @Test
  void a_crl_file_that_is_missing_or_not_a_crl_names_the_setting_and_the_file() throws Exception {
    Map<String, String> env = env();
    env.put("OMS_TLS_CRL", dir.resolve("nope.crl").toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_TLS_CRL: no such file");

    Path notCrl = Files.writeString(dir.resolve("garbage.crl"), "hello");
    env.put("OMS_TLS_CRL", notCrl.toString());
    assertThat(failure(env)).hasMessageStartingWith("OMS_TLS_CRL: " + notCrl + " is not a CRL (PEM or DER)");
  }

  @Test
  void bad_numbers_and_booleans_name_the_setting() {
    Map<String, String> env = env();
    env.put("OMS_PUSH_PORT", "eighty");
    assertThat(failure(env)).hasMessage("OMS_PUSH_PORT: 'eighty' is not a whole number");
    env = env();
    env.put("OMS_OPS_PORT", "70000");
    assertThat(failure(env)).hasMessageStartingWith("OMS_OPS_PORT:");
    env = env();
    env.put("OMS_PUSH_REQUIRE_SIGNATURE", "maybe");
    assertThat(failure(env)).hasMessageStartingWith("OMS_PUSH_REQUIRE_SIGNATURE:");
    env = env();
    env.put("OMS_MAX_BODY_BYTES", "0");
    assertThat(failure(env)).hasMessageStartingWith("OMS_MAX_BODY_BYTES:");
  }

  @Test
  void bad_database_url_names_the_setting_and_hides_the_password() {
    Map<String, String> env = env();
    env.put("OMS_DATABASE_URL", "mysql://app:s3cret@db:3306/oms");
    ConfigException e = failure(env);
    assertThat(e).hasMessageStartingWith("OMS_DATABASE_URL:");
    assertThat(e.getMessage()).doesNotContain("s3cret");
  }

  @Test
  void database_url_is_parsed_when_set() {
    Map<String, String> env = env();
    env.put("OMS_DATABASE_URL", "postgresql://app:pw@db.example:5433/oms");
    ReceiverConfig c = ReceiverConfig.from(env);
    assertThat(c.databaseUrl().host()).isEqualTo("db.example");
    assertThat(c.databaseUrl().port()).isEqualTo(5433);
  }
}
