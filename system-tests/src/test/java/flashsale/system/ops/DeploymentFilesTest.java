package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterMain;
import flashsale.ops.ConfigDefaults;
import flashsale.region.RegionMain;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The compose file and the Kubernetes manifests parse, configure the nodes only through options
 * they have, point readiness at the nodes' gRPC health as /readyz shows it, and run the node
 * containers without privileges on a read-only root (a writable /tmp); the arbiters update only as
 * their pods are deleted. (No container engine runs here, so the deployment is checked, not brought
 * up.)
 */
class DeploymentFilesTest {
  private static final Path DEPLOY = MetricsAndAlertsTest.DEPLOY;
  private static final CommandSpec ARBITER = new CommandLine(new ArbiterMain()).getCommandSpec();
  private static final CommandSpec REGION = new CommandLine(new RegionMain()).getCommandSpec();

  @SuppressWarnings("unchecked")
  private static <T> T at(Object node, String... path) {
    Object n = node;
    for (String key : path) {
      assertTrue(n instanceof Map, "no " + key + " in " + n);
      n = ((Map<String, Object>) n).get(key);
    }
    return (T) n;
  }

  /** Every FLASHSALE_X variable is an option of the node; returns how many there were. */
  private static int assertOptions(CommandSpec node, Map<String, ?> env, String where) {
    int options = 0;
    for (String name : env.keySet()) {
      if (!name.startsWith("FLASHSALE_")) continue;
      options++;
      boolean known = node.options().stream()
          .anyMatch(o -> ConfigDefaults.environmentName(o.longestName()).equals(name));
      assertTrue(known, where + ": " + name + " is no option of " + node.name());
    }
    return options;
  }

  @Test
  void composeRunsRedisTwoArbitersTwoRegionsAndPrometheus() throws Exception {
    Map<String, Object> compose;
    try (Reader r = Files.newBufferedReader(DEPLOY.resolve("compose.yaml"))) {
      compose = new Yaml().load(r);
    }
    Map<String, Object> services = at(compose, "services");
    assertEquals(List.of("redis", "arbiter-1", "arbiter-2", "region-beijing", "region-shanghai", "prometheus"),
        new ArrayList<>(services.keySet()));
    for (var e : services.entrySet()) {
      Map<String, Object> service = at(e.getValue());
      List<String> ports = service.containsKey("ports") ? at(service, "ports") : List.of();
      for (String port : ports) {
        assertTrue(port.startsWith("127.0.0.1:"), e.getKey() + " publishes " + port + " beyond this host, with no identity checks");
      }
      if (!e.getKey().startsWith("arbiter") && !e.getKey().startsWith("region")) continue;
      CommandSpec node = e.getKey().startsWith("arbiter") ? ARBITER : REGION;
      Map<String, Object> env = at(e.getValue(), "environment");
      assertTrue(assertOptions(node, env, e.getKey()) >= 4, e.getKey());
      List<String> command = at(e.getValue(), "command");
      assertTrue(command.getLast().endsWith(node.name() + ".jar"), command.toString());
    }
    List<String> rules = at(new Yaml().load(Files.readString(DEPLOY.resolve("prometheus/prometheus.yml"))), "rule_files");
    assertEquals(List.of("alerts.yml"), rules);
  }

  @Test
  void manifestsUseGrpcHealthForReadiness() throws Exception {
    int containers = 0;
    for (Object doc : new Yaml().loadAll(Files.readString(DEPLOY.resolve("k8s/flashsale.yaml")))) {
      String kind = at(doc, "kind");
      assertNotNull(kind);
      if (!kind.equals("StatefulSet") && !kind.equals("Deployment")) continue;
      List<Map<String, Object>> specs = at(doc, "spec", "template", "spec", "containers");
      for (Map<String, Object> container : specs) {
        String image = at(container, "image");
        if (!image.startsWith("flashsale/")) continue;
        containers++;
        CommandSpec node = image.contains("arbiter") ? ARBITER : REGION;
        List<Map<String, Object>> env = at(container, "env");
        Map<String, Object> byName = new java.util.LinkedHashMap<>();
        env.forEach(v -> byName.put((String) v.get("name"), v.get("value")));
        assertTrue(assertOptions(node, byName, image) >= 4, image);
        int metricsPort = Integer.parseInt((String) byName.get("FLASHSALE_METRICS_PORT"));
        assertEquals(metricsPort, (int) at(container, "readinessProbe", "httpGet", "port"), image + " readiness on the metrics port");
        assertEquals("/readyz", at(container, "readinessProbe", "httpGet", "path"), image + " readiness mirrors gRPC health");
        assertEquals(false, at(container, "securityContext", "allowPrivilegeEscalation"), image);
        assertEquals(true, at(container, "securityContext", "readOnlyRootFilesystem"), image);
        assertEquals(List.of("ALL"), at(container, "securityContext", "capabilities", "drop"), image);
        List<Map<String, Object>> mounts = at(container, "volumeMounts");
        assertTrue(mounts.stream().anyMatch(m -> "/tmp".equals(m.get("mountPath"))), image + ": a writable /tmp on a read-only root");
        List<String> args = container.containsKey("args") ? at(container, "args") : List.of();
        for (String arg : args) {
          if (arg.startsWith("--")) assertNotNull(node.findOption(arg), image + ": " + arg + " is no option");
        }
      }
    }
    assertEquals(2, containers, "an arbiter and a region");
  }

  /**
   * Only the leading arbiter is ready, so a RollingUpdate would stop at the first updated pod (back
   * as a standby, never ready) and leave the others old: the arbiters update as they are deleted.
   */
  @Test
  void arbitersUpdateOnlyAsTheirPodsAreDeleted() throws Exception {
    List<Object> arbiters = new ArrayList<>();
    for (Object doc : new Yaml().loadAll(Files.readString(DEPLOY.resolve("k8s/flashsale.yaml")))) {
      if ("StatefulSet".equals(at(doc, "kind")) && "arbiter".equals(at(doc, "metadata", "name"))) arbiters.add(doc);
    }
    assertEquals(1, arbiters.size(), "one arbiter StatefulSet");
    assertEquals("OnDelete", at(arbiters.getFirst(), "spec", "updateStrategy", "type"));
    List<Map<String, Object>> containers = at(arbiters.getFirst(), "spec", "template", "spec", "containers");
    assertEquals("/readyz", at(containers.getFirst(), "readinessProbe", "httpGet", "path"),
        "ready only while leading: the arbiter-leader Service needs it");
  }
  private static Map<String, Object> manifest(String kind, String name) throws Exception {
    for (Object doc : new Yaml().loadAll(Files.readString(DEPLOY.resolve("k8s/flashsale.yaml")))) {
      if (kind.equals(at(doc, "kind")) && name.equals(at(doc, "metadata", "name"))) {
        @SuppressWarnings("unchecked")
        Map<String, Object> found = (Map<String, Object>) doc;
        return found;
      }
    }
    throw new AssertionError("no " + kind + " " + name + " in k8s/flashsale.yaml");
  }

  /**
   * What outlives a pod: Redis keeps its append-only file on a claimed volume and never runs twice
   * during an update; the two arbiters never share a node; a region drains before it stops.
   */
  @Test
  void storeSurvivesItsPodArbitersSpreadAndRegionsDrain() throws Exception {
    Map<String, Object> redis = manifest("Deployment", "redis");
    assertEquals("Recreate", at(redis, "spec", "strategy", "type"), "two Redis behind one Service would split the arbiters");
    List<Map<String, Object>> volumes = at(redis, "spec", "template", "spec", "volumes");
    String claim = at(volumes.getFirst(), "persistentVolumeClaim", "claimName");
    assertNotNull(manifest("PersistentVolumeClaim", claim));
    List<Map<String, Object>> redisContainers = at(redis, "spec", "template", "spec", "containers");
    Map<String, Object> redisContainer = redisContainers.getFirst();
    List<String> redisArgs = at(redisContainer, "args");
    String dataDir = redisArgs.get(redisArgs.indexOf("--dir") + 1);
    assertTrue(redisArgs.contains("--appendonly"), redisArgs.toString());
    List<Map<String, Object>> redisMounts = at(redisContainer, "volumeMounts");
    assertEquals(dataDir, redisMounts.getFirst().get("mountPath"), "the append-only file on the volume");

    List<Map<String, Object>> spread = at(manifest("StatefulSet", "arbiter"), "spec", "template", "spec", "affinity",
        "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution");
    assertEquals("kubernetes.io/hostname", spread.getFirst().get("topologyKey"));
    assertEquals(Map.of("app", "flashsale-arbiter"), at(spread.getFirst(), "labelSelector", "matchLabels"));

    Map<String, Object> region = manifest("Deployment", "region-beijing");
    List<Map<String, Object>> regionContainers = at(region, "spec", "template", "spec", "containers");
    Map<String, Object> regionContainer = regionContainers.getFirst();
    int preStopS = at(regionContainer, "lifecycle", "preStop", "sleep", "seconds");
    int graceS = at(region, "spec", "template", "spec", "terminationGracePeriodSeconds");
    long drainMs = Long.parseLong(REGION.findOption("--shutdown-drain-ms").defaultValue());
    assertTrue(preStopS * 1000L + drainMs + 5_000 <= graceS * 1000L,
        "preStop " + preStopS + " s + drain " + drainMs + " ms + closing must fit the " + graceS + " s grace");
  }
}
