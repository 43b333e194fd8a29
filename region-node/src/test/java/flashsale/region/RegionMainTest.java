package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad flags end the command with exit code 2 and one line saying what is wrong. */
class RegionMainTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "missing arbiter     | --region eu                                                | --arbiter",
      "arbiter without port| --region eu --arbiter localhost                            | host:port",
      "arbiter bad port    | --region eu --arbiter localhost:99999                      | 1 to 65535",
      "bad region id       | --region e{u} --arbiter localhost:1                        | region",
      "zero heartbeat      | --region eu --arbiter localhost:1 --heartbeat-interval-ms 0 | heartbeat",
      "non-numeric pending | --region eu --arbiter localhost:1 --max-pending lots        | --max-pending",
      "no remembered ones  | --region eu --arbiter localhost:1 --insecure --remembered-decisions 0 | remembered decisions",
      "unknown flag        | --region eu --arbiter localhost:1 --turbo                  | --turbo",
      "tiny silence timeout| --region eu --arbiter localhost:1 --arbiter-silence-timeout-ms 5 | silence timeout",
      "no link certificate | --region eu --arbiter localhost:1                          | --link-cert",
      "half a link identity| --region eu --arbiter localhost:1 --link-cert /etc/hostname | --link-cert",
      "insecure and a cert | --region eu --arbiter localhost:1 --insecure --link-cert /etc/hostname | --insecure",
      "insecure and a key  | --region eu --arbiter localhost:1 --insecure --link-key /etc/hostname | --link-key would be ignored",
      "insecure and a CA   | --region eu --arbiter localhost:1 --insecure --link-ca /etc/hostname | --link-ca would be ignored",
      "buyer cert, no key  | --region eu --arbiter localhost:1 --insecure --tls-cert /etc/hostname | --tls-key",
      "acks without a pool | --region eu --arbiter localhost:1 --insecure --redis-replica-acks 1 | --central-redis or --redis",
      "negative acks       | --region eu --arbiter localhost:1 --insecure --redis-replica-acks -1 | >= 0",
      "negative metrics port| --region eu --arbiter localhost:1 --insecure --metrics-port -1 | --metrics-port must be 0 (off) to 65535, got -1",
      "zero TLS reload     | --region eu --arbiter localhost:1 --insecure --tls-reload-s 0 | --tls-reload-s must be >= 1, got 0",
      "negative TLS reload | --region eu --arbiter localhost:1 --insecure --tls-reload-s -5 | --tls-reload-s must be >= 1, got -5",
      "NaN user rate       | --region eu --arbiter localhost:1 --insecure --user-rate NaN | --user-rate must be 0 (off) or a positive number, got NaN",
      "infinite user rate  | --region eu --arbiter localhost:1 --insecure --user-rate Infinity | --user-rate",
      "NaN address rate    | --region eu --arbiter localhost:1 --insecure --address-rate NaN | --address-rate must be 0 (off) or a positive number, got NaN",
      "negative arrival    | --region eu --arbiter localhost:1 --insecure --request-arrival-timeout-ms -1 | request arrival timeout ms must be 0 (off) or at least 100, got -1",
      "zero connections    | --region eu --arbiter localhost:1 --insecure --max-connections 0 | max connections must be at least 1, got 0",
      "address cap over all| --region eu --arbiter localhost:1 --insecure --max-connections 10 --max-connections-per-address 11 | max connections per address must be 0 (none of its own) to max connections (10), got 11",
      "negative resets     | --region eu --arbiter localhost:1 --insecure --max-resets-per-window -1 | max resets per window must be 0 (off) or more",
      "zero reset window   | --region eu --arbiter localhost:1 --insecure --reset-window-s 0 | reset window must be at least 1 s",
      "zero replica wait   | --region eu --arbiter localhost:1 --insecure --redis redis://127.0.0.1:1 --redis-replica-acks 1 --redis-replica-wait-ms 0 | --redis-replica-wait-ms"})
  @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // a node not refused runs until stopped
  void badFlagsPrintOneLineAndExitWithUsageError(String name, String args, String mentions) {
    StringWriter err = new StringWriter();
    int code = RegionMain.run(args.split(" "), new PrintWriter(new StringWriter()),
        new PrintWriter(err, true));
    String message = err.toString().strip();
    assertEquals(RegionMain.EXIT_USAGE, code, message);
    assertEquals(1, message.lines().count(), message);
    assertTrue(message.startsWith("region-node: ") && message.contains(mentions), message);
  }

  /** A link certificate of another region would be refused at every reconnect: the node does not start. */
  @org.junit.jupiter.api.Test
  @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void aLinkCertificateOfAnotherRegionIsRefusedAtStart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    var ca = flashsale.credentials.DevCertificates.create(dir, "flashsale");
    var far = ca.issue(flashsale.credentials.Role.REGION, "far");
    var admin = ca.issue(flashsale.credentials.Role.ADMIN, "ops");
    String[][] cases = {{"far", "not region near"}, {"ops", "admin/ops, not region near"}};
    for (String[] wrong : cases) {
      var issued = wrong[0].equals("far") ? far : admin;
      StringWriter err = new StringWriter();
      int code = RegionMain.run(new String[] {"--region", "near", "--arbiter", "localhost:1", "--port", "0",
          "--link-cert", issued.certificate().toString(), "--link-key", issued.privateKey().toString(),
          "--link-ca", ca.caPath().toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
      String message = err.toString().strip();
      assertEquals(RegionMain.EXIT_USAGE, code, message);
      assertTrue(message.startsWith("region-node: ") && message.contains(wrong[1]) && message.contains("IDENTITY_MISMATCH"),
          message);
    }
  }
}
