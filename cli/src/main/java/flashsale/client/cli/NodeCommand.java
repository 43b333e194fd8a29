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
