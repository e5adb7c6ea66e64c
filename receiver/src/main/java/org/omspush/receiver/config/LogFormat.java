package org.omspush.receiver.config;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * OMS_LOG_FORMAT: {@code json} (the default, one object per line) or {@code text}. logback.xml
 * picks the appender of that name; a misspelt value would silence the log, so it is checked here.
 */
public final class LogFormat {
  public static final String VARIABLE = "OMS_LOG_FORMAT";
  private static final Set<String> FORMATS = Set.of("json", "text");

  private LogFormat() {}

  static void check(Settings s) {
    String v = s.string(VARIABLE, "json");
    if (!FORMATS.contains(v)) {
      throw new ConfigException(VARIABLE, "'" + v + "' is neither json nor text (lower case)");
    }
  }

  public static void check(Map<String, String> env) {
    check(new Settings(env));
  }

  /**
   * For commands a person watches (the demo): text unless OMS_LOG_FORMAT says otherwise. Only
   * with the packaged logback.xml (tests bring a logback-test.xml, which logback prefers).
   */
  public static void useTextUnlessSet() {
    if (System.getenv(VARIABLE) != null || System.getProperty(VARIABLE) != null
        || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    ClassLoader loader = LogFormat.class.getClassLoader();
    URL config = loader.getResource("logback.xml");
    if (config == null || loader.getResource("logback-test.xml") != null) {
      return;
    }
    System.setProperty(VARIABLE, "text");
    ctx.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(ctx);
    try {
      configurator.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("logback.xml: " + e.getMessage(), e);
    }
  }
}
