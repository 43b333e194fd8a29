package flashsale.system.wire;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import flashsale.client.bench.BurstPlan;
import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Drives a burst with a client from another ecosystem, never skipped:
 * <ul>
 *   <li>{@link #grpcJs}: {@code src/test/grpc-js/burst.js} on Node.js with grpc-js from npm, put
 *       under {@code target/grpc-js} with {@code npm ci} (from the committed lock file) when its
 *       modules are missing; about a millisecond of its own per call here, so 600 planned within
 *       30 ms reach the wire over half a second or more;</li>
 *   <li>{@link #grpcio}: {@code src/test/python/burst.py} on Debian's Python with python3-grpcio
 *       (gRPC's C core), requests encoded before the burst: a burst on the wire.</li>
 * </ul>
 * Without its runtime each fails, saying how to get it (.ci/run installs Node.js and npm; grpcio is
 * only for runs that ask for it).
 */
final class OutsideBurstClient {
  private static final List<String> GRPC_JS_FILES = List.of("package.json", "package-lock.json", "burst.js", "common.js",
      "crosslang.js", "poolloss.js");
  private final Path dir;
  private final Path protoRoot;
  /** The burst script's command line before the plan file. */
  private final List<String> command;
  private final String name;

  private OutsideBurstClient(String name, Path dir, Path protoRoot, List<String> command) {
    this.name = name;
    this.dir = dir;
    this.protoRoot = protoRoot;
    this.command = command;
  }

  static OutsideBurstClient grpcJs() throws IOException, InterruptedException {
    Path module = module();
    Path source = module.resolve("src/test/grpc-js");
    Path dir = module.resolve("target/grpc-js");
    Files.createDirectories(dir);
    for (String f : GRPC_JS_FILES) Files.copy(source.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    if (!Files.isDirectory(dir.resolve("node_modules/@grpc/grpc-js"))) {
      run(dir, Duration.ofMinutes(5), "npm", "ci", "--no-audit", "--no-fund");
    }
    return new OutsideBurstClient("grpc-js", dir, module.getParent().resolve("proto"), List.of("node", "burst.js"));
  }

  static OutsideBurstClient grpcio() throws IOException, InterruptedException {
    Path module = module();
    Path dir = module.resolve("target/grpcio");
    Files.createDirectories(dir);
    Files.copy(module.resolve("src/test/python/burst.py"), dir.resolve("burst.py"), StandardCopyOption.REPLACE_EXISTING);
    // Debian's python3 is where python3-grpcio installs; a python3 earlier on the PATH may lack it.
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    try {
      run(dir, Duration.ofMinutes(1), python, "-c", "import grpc");
    } catch (IllegalStateException e) {
      throw new IllegalStateException("the wire fairness test's buyers are Python's grpcio: apt-get install python3-grpcio"
          + "; " + e.getMessage(), e);
    }
    return new OutsideBurstClient("grpcio", dir, module.getParent().resolve("proto"), List.of(python, "burst.py"));
  }

  private static Path module() {
    Path module = Path.of("").toAbsolutePath();
    return Files.isDirectory(module.resolve("src/test/grpc-js")) ? module : module.resolve("system-tests");
  }

  /** grpc-js or grpcio. */
  String name() {
    return name;
  }

  /**
   * Fires {@code plan} at {@code targets} (region to host:port, or to a list of them for a region
   * served by several nodes, its purchases spread over them in turn) and returns one record per purchase.
   */
  List<RequestRecord> run(Map<String, ?> targets, String eventId, BurstPlan plan, Duration deadline,
      ToLongFunction<String> wireMicros) throws IOException, InterruptedException {
    return run(targets, eventId, plan, deadline, wireMicros, false);
  }

  /** As above; {@code streamed}: each connection's purchases as the messages of one StreamPurchases stream. */
  List<RequestRecord> run(Map<String, ?> targets, String eventId, BurstPlan plan, Duration deadline,
      ToLongFunction<String> wireMicros, boolean streamed) throws IOException, InterruptedException {
    JsonObject json = new JsonObject();
    json.addProperty("streamed", streamed);
    json.addProperty("eventId", eventId);
    json.addProperty("deadlineMs", deadline.toMillis());
    json.add("targets", new Gson().toJsonTree(targets));
    JsonArray sends = new JsonArray();
    Map<String, BurstPlan.Send> byId = new LinkedHashMap<>();
    for (BurstPlan.Send s : plan.sends()) {
      JsonObject o = new JsonObject();
      o.addProperty("requestId", s.requestId());
      o.addProperty("userId", s.userId());
      o.addProperty("region", s.region());
      o.addProperty("offsetMicros", s.offsetMicros());
      sends.add(o);
      byId.put(s.requestId(), s);
    }
    json.add("sends", sends);
    Path planFile = dir.resolve("plan-" + eventId + ".json");
    Files.writeString(planFile, json.toString(), StandardCharsets.UTF_8);
    List<String> line = new ArrayList<>(command);
    line.add(planFile.toString());
    line.add(protoRoot.toString()); // burst.js loads the proto; burst.py encodes by hand and ignores it
    String output = run(dir, deadline.plusSeconds(30), line.toArray(String[]::new));
    List<RequestRecord> records = new ArrayList<>();
    for (JsonElement e : JsonParser.parseString(output).getAsJsonArray()) {
      JsonObject r = e.getAsJsonObject();
      BurstPlan.Send s = byId.get(r.get("requestId").getAsString());
      long send = r.get("sendMicros").getAsLong();
      long latency = r.get("answerMicros").getAsLong() - send;
      long wire = wireMicros.applyAsLong(s.requestId());
      int code = r.get("code").getAsInt();
      if (code != 0) {
        records.add(new RequestRecord(s.requestId(), s.userId(), s.region(), send, 0, RecordOutcome.ERROR, 0, 0, 0, latency,
            Status.fromCodeValue(code).getCode().name(), wire));
        continue;
      }
      long rank = r.get("rank").getAsLong();
      records.add(new RequestRecord(s.requestId(), s.userId(), s.region(), send, 0,
          "OUTCOME_WON".equals(r.get("outcome").getAsString()) ? RecordOutcome.WON : RecordOutcome.LOST,
          rank, r.get("arrivalMicros").getAsLong(), r.get("decideMicros").getAsLong(), latency, "", wire));
    }
    if (records.size() != plan.sends().size()) {
      throw new IllegalStateException(name + " client answered " + records.size() + " of " + plan.sends().size() + " purchases");
    }
    return records;
  }

  /** Runs {@code script} (one of the harness' files) with node and returns its stdout. */
  String node(String script, Duration timeout, String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 2];
    command[0] = "node";
    command[1] = script;
    System.arraycopy(args, 0, command, 2, args.length);
    return run(dir, timeout, command);
  }

  /** The proto root (flashsale/v1/...) the scripts load. */
  /** google/rpc's status and error-details protos, copied where a grpc-js script can load them: their root. */
  static Path rpcProtoRoot() throws IOException {
    Path rpcRoot = Files.createDirectories(Path.of("target/grpc-js/rpc-protos/google/rpc")).getParent().getParent();
    for (String file : List.of("status.proto", "error_details.proto")) {
      try (java.io.InputStream in = com.google.rpc.Status.class.getResourceAsStream("/google/rpc/" + file)) {
        Files.copy(in, rpcRoot.resolve("google/rpc/" + file), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return rpcRoot.toAbsolutePath();
  }

  Path protoRoot() {
    return protoRoot;
  }

  /** Runs a command in {@code dir} and returns its stdout; fails with its output on a non-zero exit. */
  private static String run(Path dir, Duration timeout, String... command) throws IOException, InterruptedException {
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException(command[0] + " is not installed: the wire fairness tests drive the nodes with grpc-js"
          + " on Node.js (apt-get install nodejs npm; .ci/run installs them), or grpcio on Python when asked for"
          + " (apt-get install python3-grpcio)", e);
    }
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + Files.readString(err));
    }
    Files.deleteIfExists(err);
    return new String(out, StandardCharsets.UTF_8);
  }
}
