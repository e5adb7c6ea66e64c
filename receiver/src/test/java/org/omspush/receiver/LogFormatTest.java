package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.receiver.config.ConfigException;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.store.testing.TestDatabase;
import org.slf4j.LoggerFactory;

/**
 * The packaged logback.xml (not the tests' own): a push through the receiver logs one JSON object
 * per line with the MessageID and mRID as fields, or a text line with OMS_LOG_FORMAT=text.
 */
class LogFormatTest {
  @TempDir static Path dir;
  static DevPki pki;
  private final PrintStream originalOut = System.out;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir);
  }

  @AfterEach
  void restore() throws Exception {
    System.setOut(originalOut);
    configure(getClass().getClassLoader().getResource("logback-test.xml"), Map.of());
  }

  private static void configure(URL config, Map<String, String> properties) throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    properties.forEach(ctx::putProperty);
    JoranConfigurator c = new JoranConfigurator();
    c.setContext(ctx);
    c.doConfigure(config);
  }

  /** Logs of one push through an in-process receiver with the packaged configuration and this format. */
  private List<String> pushLoggedAs(Map<String, String> properties, PushMessage m) throws Exception {
    URL packaged = getClass().getClassLoader().getResource("logback.xml");
    assertThat(packaged).as("the packaged logback.xml on the class path").isNotNull();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    configure(packaged, properties);
    try (TestReceiver receiver = TestReceiver.start(pki, TestDatabase.fresh(), new HashMap<>())) {
      PushResult r = receiver.push(PushMessage.OUTAGE_STATUS_CHANGE_ACTION,
          PushSigner.of(pki.isoPushClient()).sign(m, PushSigner.Algorithm.RSA_SHA256));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    System.setOut(originalOut);
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void json_is_the_default_one_object_per_line_with_the_message_id_as_a_field() throws Exception {
    PushMessage m = PushLoad.newOutageChange();
    List<String> lines = pushLoggedAs(Map.of(), m);
    assertThat(lines).as("log lines").isNotEmpty();
    JsonObject stored = null;
    for (String line : lines) {
      JsonObject o;
      try {
        o = new JsonObject(line);
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON object: " + line, e);
      }
      assertThat(o.getString("@timestamp")).as(line).isNotBlank();
      assertThat(o.getString("level")).as(line).isNotBlank();
      if (m.messageId().equals(o.getString("messageId"))) {
        stored = o;
      }
    }
    assertThat(stored).as("a line with messageId=%s among%n%s", m.messageId(), String.join("\n", lines)).isNotNull();
    assertThat(stored.getString("message")).startsWith("push stored messageId=" + m.messageId());
    assertThat(stored.getString("level")).isEqualTo("INFO");
    assertThat(stored.getString("logger_name")).endsWith("PushEndpoint");
    assertThat(stored.getString("action")).isEqualTo(PushMessage.OUTAGE_STATUS_CHANGE_ACTION);
    assertThat(stored.getString("mrid")).isNotBlank().isEqualTo(m.outageStatusChange().outageMRID());
    assertThat(stored.getString("participant")).as("the bare push path's").isEqualTo("default");
  }

  @Test
  void text_is_one_line_for_people() throws Exception {
    PushMessage m = PushLoad.newOutageChange();
    List<String> lines = pushLoggedAs(Map.of("OMS_LOG_FORMAT", "text"), m);
    assertThat(lines).filteredOn(l -> l.contains("push stored messageId=" + m.messageId())).hasSize(1)
        .allSatisfy(l -> assertThat(l).doesNotStartWith("{").contains("INFO").contains("PushEndpoint"));
  }

  @Test
  void a_misspelt_format_is_refused_rather_than_silencing_the_log() {
    Map<String, String> env = DevEnvironment.of(pki);
    env.put("OMS_LOG_FORMAT", "JSON");
    assertThatThrownBy(() -> ReceiverConfig.from(env)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OMS_LOG_FORMAT");
  }
}
