package flashsale.client.bench;

import flashsale.client.FlashSaleClient;
import flashsale.client.cluster.JavaRuntime;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The abusive user as a client of its own: a JVM apart from the crowd's, as another buyer's would
 * be, so its 3,000 calls a second and their answers do not share the crowd's event loops, executor
 * and heap (which would be the measuring client's slowdown, not the region's: with the raw client
 * in the crowd's JVM, that JVM paused for G1 8-10 times per abused window against 1-3 alone). One process serves
 * every run, warm after the first: the parent writes an event id per line, the child abuses that
 * event and prints one result line.
 */
public final class AbuserProcess implements AutoCloseable {
  private static final String RESULT = "abuse-result";
  private final Process process;
  private final Writer commands;
  private final BufferedReader results;

  private AbuserProcess(Process process) {
    this.process = process;
    this.commands = process.outputWriter(StandardCharsets.UTF_8);
    this.results = process.inputReader(StandardCharsets.UTF_8);
  }

  /** How the child sends: pre-encoded HTTP/2 on a socket ({@code RAW}) or through grpc-java. */
  public enum Client { RAW, GRPC }

  /** Starts the abuser's JVM (this one's class path and java) against {@code target}; its log goes to {@code log}. */
  public static AbuserProcess start(Client client, String target, double perSecond, Duration duration, Path log)
      throws IOException {
    List<String> command = List.of(JavaRuntime.javaBinary().toString(), "-cp", System.getProperty("java.class.path"),
        AbuserProcess.class.getName(), client.name(), target, Double.toString(perSecond), Long.toString(duration.toMillis()));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new AbuserProcess(p);
  }

  public long pid() {
    return process.pid();
  }

  /** Starts abusing {@code eventId} now; completes with how the abuser was answered. */
  public CompletableFuture<AbuseRun.Abuser> abuse(String eventId) {
    try {
      commands.write(eventId + "\n");
      commands.flush();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("the abuser process is gone (exit " + exitCode() + ")", e));
    }
    return CompletableFuture.supplyAsync(this::readResult);
  }

  private AbuseRun.Abuser readResult() {
    try {
      for (String line; (line = results.readLine()) != null; ) {
        if (line.startsWith(RESULT + " ")) return parse(line);
      }
      throw new IllegalStateException("the abuser process ended without a result (exit " + exitCode() + ")");
    } catch (IOException e) {
      throw new IllegalStateException("reading the abuser's result", e);
    }
  }

  private String exitCode() {
    return process.isAlive() ? "none yet" : Integer.toString(process.exitValue());
  }

  /** {@code abuse-result <sent> <elapsed µs> <sending µs> <outcome>=<count> ...} */
  static String format(AbuseRun.Abuser a) {
    StringBuilder line = new StringBuilder(RESULT).append(' ').append(a.sent()).append(' ').append(a.elapsedMicros())
        .append(' ').append(a.sendingMicros());
    a.outcomes().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    return line.toString();
  }

  static AbuseRun.Abuser parse(String line) {
    String[] parts = line.split(" ");
    if (parts.length < 4 || !parts[0].equals(RESULT)) throw new IllegalArgumentException("not an abuse result: " + line);
    Map<String, Long> outcomes = new TreeMap<>();
    for (int i = 4; i < parts.length; i++) {
      String[] kv = parts[i].split("=", 2);
      outcomes.put(kv[0], Long.parseLong(kv[1]));
    }
    return new AbuseRun.Abuser(Long.parseLong(parts[1]), outcomes, Long.parseLong(parts[2]), Long.parseLong(parts[3]));
  }

  @Override
  public void close() throws InterruptedException {
    try {
      commands.close(); // end of input: the child exits
    } catch (IOException ignored) {
      // already gone
    }
    if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
  }

  /** The child: {@code <RAW|GRPC> <host:port> <purchases per second> <duration ms>}, then event ids on standard input. */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 4) {
      throw new IllegalArgumentException("usage: AbuserProcess <RAW|GRPC> <host:port> <per-second> <duration-ms>");
    }
    Client mode = Client.valueOf(args[0]);
    String target = args[1];
    var run = new AbuseRun(0, 0, Double.parseDouble(args[2]), Duration.ofMillis(Long.parseLong(args[3])));
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    ManagedChannel channel = mode == Client.GRPC ? Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build() : null;
    try (var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      var client = channel == null ? null : new FlashSaleClient(channel, Duration.ofSeconds(10));
      int colon = target.lastIndexOf(':');
      for (String line; (line = in.readLine()) != null; ) {
        String eventId = line.strip();
        AbuseRun.Abuser result = client != null ? run.abuse(client, eventId)
            : run.abuseRaw(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)), eventId);
        out.println(format(result));
      }
    } finally {
      if (channel != null) channel.shutdownNow();
    }
  }
}
