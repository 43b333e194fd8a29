package flashsale.client.lab;

import flashsale.client.cli.ExitCodes;
import flashsale.client.load.LoadConfig;
import flashsale.client.load.LoadgenCeiling;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashsale loadgen-ceiling}: how fast this machine's load generator can go at all. */
@Command(
    name = "loadgen-ceiling",
    description = {
      "Measure the load generator's own ceiling in requests/s.",
      "Drives a built-in region that answers at once, in process and over loopback TCP.",
      "Runs against real nodes mean little near this figure."
    })
final class LoadgenCeilingCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--requests", defaultValue = "100000", description = "Requests in the measured burst (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--concurrency", defaultValue = "" + LoadConfig.DEFAULT_MAX_IN_FLIGHT,
      description = "Most calls in flight (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--transport", split = ",", defaultValue = "inprocess,loopback",
      description = "inprocess and/or loopback (default: ${DEFAULT-VALUE}).")
  List<LoadgenCeiling.Transport> transports;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (requests <= 0 || maxInFlight <= 0) {
      throw new IllegalArgumentException("--requests and --concurrency must be positive");
    }
    for (LoadgenCeiling.Transport transport : transports) {
      spec.commandLine().getOut().println(LoadgenCeiling.measure(transport, requests, maxInFlight).summary());
      spec.commandLine().getOut().flush();
    }
    return ExitCodes.OK;
  }
}
