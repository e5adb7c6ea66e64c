package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void pki_dev_writes_the_test_pki() throws Exception {
    Path target = Files.createTempDirectory("pki-");
    assertThat(run("pki", "dev", "--out", target.toString())).isZero();
    assertThat(target.resolve(DevPki.ISO_CA_BUNDLE)).isRegularFile();
    assertThat(target.resolve(DevPki.RECEIVER_SERVER)).isRegularFile();
    assertThat(DevPki.load(target).isoPushClient().subject()).isEqualTo(DevPki.ISO_PUSH_CLIENT_DN);
  }

  @Test
  void unknown_command_prints_usage_and_fails() {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command: frobnicate").contains("serve");
  }

  @Test
  void pki_without_out_is_a_usage_error() {
    assertThat(run("pki", "dev")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: pki dev --out DIR");
  }

  @Test
  void doctor_reads_the_environment_and_fails_on_a_configuration_that_does_not_parse() {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("OMS_TLS_CERT") == null, "OMS_TLS_CERT is set here");
    assertThat(run("doctor")).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("FAIL configuration").contains("OMS_TLS_CERT");
  }
}
