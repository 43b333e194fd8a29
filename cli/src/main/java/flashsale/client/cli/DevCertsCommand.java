package flashsale.client.cli;

import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashsale dev-certs}: a throw-away CA and certificates for a development deployment. */
@Command(name = "dev-certs", description = "Write a throw-away CA and certificates (PEM) for a development deployment: "
    + "one per arbiter, region and client identity, each with its spiffe://<trust-domain>/<role>/<name> URI SAN. "
    + "A directory that holds a CA already (ca.pem and ca.key from an earlier run) keeps it: the new certificates chain "
    + "to the CA running nodes trust. Not for production: issue the same SANs from your own CA.")
final class DevCertsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--dir", required = true, description = "Directory to write ca.pem and <role>-<name>.pem/.key into.")
  Path directory;

  @Option(names = "--trust-domain", defaultValue = "flashsale", description = "Trust domain (default ${DEFAULT-VALUE}).")
  String trustDomain;

  @Option(names = "--arbiter", split = ",", description = "Arbiter node ids (default: arbiter-1).")
  List<String> arbiters = List.of("arbiter-1");

  @Option(names = "--region", split = ",", required = true, description = "Region names, e.g. near,far.")
  List<String> regions;

  @Option(names = "--admin", split = ",", description = "Admin identities (default: ops).")
  List<String> admins = List.of("ops");

  @Option(names = "--auditor", split = ",", description = "Auditor identities.")
  List<String> auditors = List.of();

  @Option(names = "--order", split = ",", description = "Order-service identities (ConfirmPayment, CancelPurchase, GetOrder).")
  List<String> orderServices = List.of();

  @Option(names = "--host", split = ",", description = "Extra DNS names or IPs the node certificates are valid for "
      + "(localhost and 127.0.0.1 always are).")
  List<String> hosts = List.of();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    boolean kept = java.nio.file.Files.exists(directory.resolve("ca.pem"));
    DevCertificates ca;
    try {
      ca = DevCertificates.openOrCreate(directory, trustDomain);
    } catch (java.io.IOException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    out.printf("%s %s%n", kept ? "kept the CA in" : "new CA", ca.caPath());
    String[] extraHosts = hosts.toArray(String[]::new);
    for (String id : arbiters) {
      var c = ca.issue(Role.ARBITER, id, extraHosts);
      out.printf("arbiter %-10s --tls-cert %s --tls-key %s --tls-ca %s%n", id, c.certificate(), c.privateKey(), c.trustedCa());
    }
    for (String region : regions) {
      var c = ca.issue(Role.REGION, region, extraHosts);
      out.printf("region  %-10s --link-cert %s --link-key %s --link-ca %s%n", region, c.certificate(), c.privateKey(),
          c.trustedCa());
    }
    for (String admin : admins) {
      var c = ca.issue(Role.ADMIN, admin);
      out.printf("admin   %-10s --tls-ca %s --tls-cert %s --tls-key %s%n", admin, c.trustedCa(), c.certificate(), c.privateKey());
    }
    for (String auditor : auditors) {
      var c = ca.issue(Role.AUDITOR, auditor);
      out.printf("auditor %-10s --tls-ca %s --tls-cert %s --tls-key %s%n", auditor, c.trustedCa(), c.certificate(),
          c.privateKey());
    }
    for (String service : orderServices) {
      var c = ca.issue(Role.ORDER, service);
      out.printf("order   %-10s --tls-ca %s --tls-cert %s --tls-key %s%n", service, c.trustedCa(), c.certificate(),
          c.privateKey());
    }
    return 0;
  }
}
