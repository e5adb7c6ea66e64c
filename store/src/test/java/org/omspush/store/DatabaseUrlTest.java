package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatabaseUrlTest {

  @Test
  void full_url_is_parsed_into_its_parts() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://oms:s3cret@db.example.org:6432/omsdb?sslmode=require");

    assertThat(url.host()).isEqualTo("db.example.org");
    assertThat(url.port()).isEqualTo(6432);
    assertThat(url.database()).isEqualTo("omsdb");
    assertThat(url.user()).isEqualTo("oms");
    assertThat(url.password()).isEqualTo("s3cret");
    assertThat(url.sslMode()).isEqualTo("require");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.org:6432/omsdb?sslmode=require");
  }

  @Test
  void postgres_scheme_and_default_port_are_accepted() {
    DatabaseUrl url = DatabaseUrl.parse("postgres://oms@localhost/oms");

    assertThat(url.port()).isEqualTo(5432);
    assertThat(url.password()).isNull();
    assertThat(url.sslMode()).isNull();
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/oms");
  }

  @Test
  void percent_encoded_user_and_password_are_decoded() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://app%40corp:p%40ss%3Aw%2Fo%3Frd+%25@10.0.0.5:5432/oms");

    assertThat(url.user()).isEqualTo("app@corp");
    assertThat(url.password()).isEqualTo("p@ss:w/o?rd+%");
    assertThat(url.host()).isEqualTo("10.0.0.5");
  }

  @Test
  void ipv6_host_is_accepted() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://oms:pw@[::1]:5433/oms");

    assertThat(url.host()).isEqualTo("::1");
    assertThat(url.port()).isEqualTo(5433);
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5433/oms");
  }

  @Test
  void connect_options_carry_every_part_and_the_ssl_mode() {
    PgConnectOptions options = DatabaseUrl.parse("postgresql://oms:pw@db:6000/omsdb?sslmode=require").connectOptions();

    assertThat(options.getHost()).isEqualTo("db");
    assertThat(options.getPort()).isEqualTo(6000);
    assertThat(options.getDatabase()).isEqualTo("omsdb");
    assertThat(options.getUser()).isEqualTo("oms");
    assertThat(options.getPassword()).isEqualTo("pw");
    assertThat(options.getSslMode()).isEqualTo(SslMode.REQUIRE);
    assertThat(DatabaseUrl.parse("postgresql://oms@db/omsdb?sslmode=disable").connectOptions().getSslMode())
        .isEqualTo(SslMode.DISABLE);
  }

  @Test
  void verify_full_needs_a_root_certificate() {
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://oms:pw@db/oms?sslmode=verify-full"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sslrootcert");
    DatabaseUrl url = DatabaseUrl.parse("postgresql://oms:pw@db/oms?sslmode=verify-full&sslrootcert=/etc/ca.pem");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/oms?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem");
    assertThat(url.connectOptions().getSslMode()).isEqualTo(SslMode.VERIFY_FULL);
  }

  @Test
  void to_string_hides_the_password() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://oms:TopSecret99@db:5432/oms");

    assertThat(url.toString()).isEqualTo("postgresql://oms:***@db:5432/oms").doesNotContain("TopSecret99");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "mysql://oms:TopSecret99@db/oms",
      "oms:TopSecret99@db/oms",
      "postgresql://oms:TopSecret99@db:99999/oms",
      "postgresql://oms:TopSecret99@db:port/oms",
      "postgresql://oms:TopSecret99@db",
      "postgresql://oms:TopSecret99@/oms",
      "postgresql://:TopSecret99@db/oms",
      "postgresql://oms:Top/Secret99@db/oms",
      "postgresql://oms:Top?Secret99@db/oms",
      "postgresql://oms:Top#Secret99@db/oms",
      "postgresql://oms:Top%zzSecret99@db/oms",
      "postgresql://oms:TopSecret99@db/oms?sslmode=sometimes",
      "postgresql://oms:TopSecret99@db/oms?TopSecret99=1",
      "postgresql://oms:TopSecret99@[::1/oms",
  })
  void bad_url_is_refused_with_a_message_that_names_the_setting_but_not_the_password(String bad) {
    assertThatThrownBy(() -> DatabaseUrl.parse(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OMS_DATABASE_URL")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("TopSecret99").doesNotContain("Secret99"));
  }

  @Test
  void bad_url_messages_say_what_is_wrong() {
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://u:p@db/oms")).hasMessageContaining("postgresql://");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:p@db:70000/oms")).hasMessageContaining("port");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:p@db")).hasMessageContaining("no database");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://db/oms")).hasMessageContaining("no user");
    assertThatThrownBy(() -> DatabaseUrl.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:p/w@db/oms")).hasMessageContaining("percent-encode");
  }
}
