package flashsale.client.lab;

import flashsale.client.cli.ExitCodes;
import flashsale.client.load.ResultsFile;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashsale report}: fairness figures of one or more recorded runs, side by side. */
@Command(
    name = "report",
    description = {
      "Compare the fairness and latency of recorded load runs side by side.",
      "Reads load results (CSV or JSON), one column per file: winner precision, pairwise inversions",
      "beyond the clock bound, win share by region vs ideal,",
      "decision latency p50/p99 and throughput. --html also writes a self-contained page with charts."
    })
final class ReportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "[LABEL=]FILE",
      description = "Results files; the label (default: file name without extension) heads the column.")
  List<String> files;

  @Option(names = "--clock-bound-us", defaultValue = "" + FairnessReport.DEFAULT_CLOCK_BOUND_MICROS,
      description = "Send times at most this many microseconds apart are ties for inversions (default: ${DEFAULT-VALUE}).")
  long clockBoundMicros;

  @Option(names = "--html", paramLabel = "FILE", description = "Also write the HTML report here.")
  Path html;

  @Override
  public Integer call() throws IOException {
    if (clockBoundMicros < 0) {
      throw new IllegalArgumentException("--clock-bound-us must be >= 0, got " + clockBoundMicros);
    }
    List<RunResult> runs = new ArrayList<>();
    for (String file : files) {
      runs.add(load(file));
    }
    FairnessReport report = FairnessReport.of(runs, clockBoundMicros);
    spec.commandLine().getOut().print(report.table());
    if (html != null) {
      report.writeHtml(html);
      spec.commandLine().getOut().println("wrote " + html);
    }
    return ExitCodes.OK;
  }

  /** {@code LABEL=FILE} unless the whole argument names an existing file. */
  static RunResult load(String argument) throws IOException {
    int eq = argument.indexOf('=');
    Path path = Path.of(argument);
    String label;
    if (eq > 0 && !Files.exists(path)) {
      label = argument.substring(0, eq);
      path = Path.of(argument.substring(eq + 1));
    } else {
      String name = path.getFileName().toString();
      label = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
    }
    return new RunResult(label, ResultsFile.read(path));
  }
}
