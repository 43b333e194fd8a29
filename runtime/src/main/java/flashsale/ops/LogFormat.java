package flashsale.ops;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

/**
 * The log line format, chosen by {@code --log-format}: {@code logback.xml} picks its appender from
 * the system property {@value #PROPERTY}, so switching means setting it and configuring again.
 */
public enum LogFormat {
  TEXT,
  JSON;

  static final String PROPERTY = "flashsale.log.format";

  void apply() {
    String wanted = name().toLowerCase(java.util.Locale.ROOT);
    if (wanted.equals(System.getProperty(PROPERTY, "text"))) return;
    System.setProperty(PROPERTY, wanted);
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.reset();
      try {
        new ContextInitializer(context).autoConfig();
      } catch (JoranException e) {
        throw new IllegalStateException("cannot configure logging: " + e.getMessage(), e);
      }
    }
  }
}
