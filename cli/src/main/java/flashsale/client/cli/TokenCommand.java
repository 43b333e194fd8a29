package flashsale.client.cli;

import flashsale.credentials.Role;
import flashsale.credentials.StaticTokens;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code flashsale token}: a new static bearer token and the line that admits it. */
@Command(name = "token", description = "Print a new random bearer token and the line to append to the arbiter's "
    + "--token-file (which stores only its SHA-256). Roles: admin, auditor, order.")
final class TokenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--role", required = true, split = ",", description = "Roles the token grants, e.g. admin or auditor.")
  List<String> roles;

  @Option(names = "--name", required = true, description = "Who holds it (shown in logs and denials); no whitespace.")
  String name;

  @Override
  public Integer call() {
    for (String role : roles) {
      Role parsed = Role.fromLabel(role).orElseThrow(() -> new ParameterException(spec.commandLine(), "unknown role '" + role + "'"));
      if (parsed == Role.REGION || parsed == Role.ARBITER) {
        throw new ParameterException(spec.commandLine(), "the " + role + " role is granted only by a certificate");
      }
    }
    if (!StaticTokens.isName(name)) { // else the arbiter would refuse the token file holding the printed line
      throw new ParameterException(spec.commandLine(), "--name must be one or more characters without whitespace"
          + " (a token-file line is '<roles> <name> <sha256>'), e.g. payments-team");
    }
    String token = StaticTokens.newToken(new SecureRandom());
    PrintWriter out = spec.commandLine().getOut();
    out.println("token: " + token);
    out.println("token-file line: " + String.join(",", roles) + " " + name + " " + StaticTokens.sha256Hex(token));
    return 0;
  }
}
