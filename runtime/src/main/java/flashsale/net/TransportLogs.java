package flashsale.net;

import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * grpc-java's server transport logs a stack trace (java.util.logging) for rejections it has
 * already answered correctly: a frame that lies about its length, a call cut short, an over-size
 * message, a header block over the limit. Those cannot be fixed at their cause without patching
 * grpc-java, so these loggers' records that carry a throwable become one rate-limited line of
 * {@link ProtocolLog} instead. Records without a throwable pass unchanged.
 */
final class TransportLogs {
  private static final String NETTY = "io.grpc.netty.shaded.io.grpc.netty.";
  /** The loggers that report client-caused protocol errors (strong references: JUL keeps weak ones). */
  static final List<Logger> QUIETED = List.of(
      Logger.getLogger(NETTY + "NettyServerStream"),
      Logger.getLogger(NETTY + "NettyServerHandler"),
      Logger.getLogger(NETTY + "NettyServerTransport"),
      Logger.getLogger(NETTY + "NettyServerTransport.connections"),
      Logger.getLogger("io.grpc.internal.ServerImpl"),
      Logger.getLogger("io.grpc.internal.SerializingExecutor"));
  private static final ProtocolLog log = ProtocolLog.of(TransportLogs.class);
  private static final Filter ONE_LINE = TransportLogs::oneLine;

  private TransportLogs() {}

  static synchronized void install() {
    for (Logger logger : QUIETED) {
      if (logger.getFilter() != ONE_LINE) logger.setFilter(ONE_LINE);
    }
  }

  private static boolean oneLine(LogRecord record) {
    Throwable thrown = record.getThrown();
    if (thrown == null) return true;
    if (record.getLevel().intValue() < Level.INFO.intValue()) return false; // debug detail: no line at all
    String logger = record.getLoggerName().substring(record.getLoggerName().lastIndexOf('.') + 1);
    log.rejected(logger, "message=\"" + record.getMessage() + "\" error=\"" + oneLine(thrown) + "\"");
    return false;
  }

  private static String oneLine(Throwable t) {
    StringBuilder s = new StringBuilder(t.toString());
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) s.append(" <- ").append(c);
    return s.toString().replace('\n', ' ');
  }
}
