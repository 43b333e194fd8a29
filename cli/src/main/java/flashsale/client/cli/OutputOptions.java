package flashsale.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.time.ZoneId;
import picocli.CommandLine.Option;

/** {@code --json} and {@code --zone}: how a command shows what it got back. */
final class OutputOptions {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  @Option(names = "--json", description = "Print the response as one line of protobuf JSON (times in UTC), for scripts.")
  boolean json;

  @Option(
      names = "--zone",
      converter = TimeArgs.ZoneConverter.class,
      paramLabel = "ZONE",
      description = "Time zone for showing times and reading local ones, e.g. Asia/Shanghai (default: system zone).")
  ZoneId zone = ZoneId.systemDefault();

  /** A timestamp in the user's zone. */
  String time(Timestamp timestamp) {
    return TimeArgs.format(timestamp, zone);
  }

  /** Prints {@code message} as one line of JSON. */
  static void printJson(PrintWriter out, MessageOrBuilder message) {
    out.println(json(message));
  }

  /** {@code message} as one line of protobuf JSON. */
  static String json(MessageOrBuilder message) {
    try {
      return JSON.print(message);
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields with unknown types fail here, and our messages have none.
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
