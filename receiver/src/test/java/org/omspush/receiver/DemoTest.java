package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DemoTest {
  private static final ch.qos.logback.classic.Logger ROOT =
      (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private ch.qos.logback.classic.Level levelBefore;

  // The demo quietens the root logger for its own output; the tests that run after it in this JVM
  // capture WARN lines, so it is given back.
  @BeforeEach
  void keepLogLevel() {
    levelBefore = ROOT.getLevel();
  }

  @AfterEach
  void restoreLogLevel() {
    ROOT.setLevel(levelBefore);
  }

  @Test
  void options_are_parsed() {
    assertThat(Demo.Options.parse(new String[0])).isEqualTo(new Demo.Options(1, Duration.ZERO, false));
    assertThat(Demo.Options.parse(new String[] {"--replicas", "3", "--duration", "90s", "--plain"}))
        .isEqualTo(new Demo.Options(3, Duration.ofSeconds(90), true));
    assertThat(Demo.Options.duration("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Demo.Options.duration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Demo.Options.duration("PT2M30S")).isEqualTo(Duration.ofSeconds(150));
  }

  @Test
  void bad_options_are_refused_with_what_is_expected() {
    assertThatThrownBy(() -> Demo.Options.parse(new String[] {"--replicas", "0"}))
        .hasMessageContaining("--replicas must be 1..5, not 0");
    assertThatThrownBy(() -> Demo.Options.parse(new String[] {"--replicas", "many"}))
        .hasMessageContaining("--replicas must be 1..5, not many");
    assertThatThrownBy(() -> Demo.Options.parse(new String[] {"--duration", "5 minutes"}))
        .hasMessageContaining("--duration must look like 90s");
    assertThatThrownBy(() -> Demo.Options.parse(new String[] {"--duration", "25h"}))
        .hasMessageContaining("at most 24 h");
    assertThatThrownBy(() -> Demo.Options.parse(new String[] {"--duration"})).hasMessageContaining("needs a value");
    assertThatThrownBy(() -> Demo.Options.parse(new String[] {"--fast"})).hasMessageContaining("unknown option --fast");
  }

  @Test
  void a_bad_option_is_a_usage_error_with_exit_status_2() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"demo", "--replicas", "9"}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--replicas must be 1..5, not 9").contains("demo");
  }

  /**
   * The whole demo as a newcomer runs it, with two receivers on one database: every push answered
   * as the contract says, every claim redeemed under the real 5 s AUP, every event delivered with a
   * valid signature, exit status 0. About a minute.
   */
  @Test
  void the_demo_with_two_replicas_completes_and_says_so() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"demo", "--replicas", "2", "--plain"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(text).isZero();
    assertThat(text).contains("receiver 1 listening on https://localhost:", "receiver 2 listening on https://localhost:")
        .contains("every push answered as the contract says")
        .contains("participants: default (", "SC_DEMO2 (")
        .containsPattern("console: http://127\\.0\\.0\\.1:\\d+/console/ \\(sign in with the admin token \\w+, "
            + "or view only with view-\\w+\\)")
        .containsPattern("outage OUT-2026-1002 to SC_DEMO2 +200 +stored")
        .containsPattern("the same to a participant not served +404 +unknown_participant")
        .contains("Every acknowledged push was redeemed and delivered; the ISO saw no AUP violation.");
    assertThat(number(text, "claims REDEEMED")).as(text).isPositive();
    assertThat(number(text, "ISO AUP violations")).isZero();
    assertThat(text).doesNotContain("claims PENDING", "claims DEAD");
    assertThat(number(text, "delivered to outage-desk")).isPositive();
    assertThat(number(text, "delivered to trading-desk")).isGreaterThan(number(text, "delivered to outage-desk"));
  }

  private static long number(String text, String label) {
    Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(label) + "\\s+(\\d+)").matcher(text);
    assertThat(m.find()).as("a line '%s' in%n%s", label, text).isTrue();
    return Long.parseLong(m.group(1));
  }
}
