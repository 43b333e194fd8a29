package flashsale.client.cli;

import com.google.protobuf.MessageOrBuilder;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that call one node: they share {@code --target}/{@code --deadline},
 * {@code --json}/{@code --zone}, and the rule that {@code --json} prints the protobuf response
 * instead of the human form.
 */
abstract class NodeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConnectionOptions connection;
  @Mixin OutputOptions output;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** The request id this command made up for want of {@code --request-id}; null when given or none needed. */
  String generatedRequestId;

  /**
   * {@code given}, or a new request id, which {@link ErrorPrinter} adds to the error line if the
   * command fails: a retry under that id is the same request, never a second one.
   */
  String requestIdOrNew(String given) {
    if (given != null) return given;
    generatedRequestId = flashsale.client.FlashSaleClient.newRequestId();
    return generatedRequestId;
  }

  /** Prints {@code response} as JSON with {@code --json}, else runs {@code human}; exit code OK. */
  int show(MessageOrBuilder response, Runnable human) {
    if (output.json) {
      OutputOptions.printJson(out(), response);
    } else {
      human.run();
    }
    return ExitCodes.OK;
  }
}
