package flashsale.security;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Flags that would leave the arbiter open in a way nobody meant are refused before it starts. */
class ServerSecurityOptionsTest {
  private static ServerSecurityOptions parse(String... args) {
    ServerSecurityOptions options = new ServerSecurityOptions();
    new CommandLine(options).parseArgs(args);
    return options;
  }

  private static final String[] TLS = {"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-ca", "ca.pem"};

  @Test
  void aJwkSetWithoutAnAudienceIsRefusedSinceTokensOfOtherApplicationsWouldPass() {
    String problem = parse(concat(TLS, "--jwt-jwks", "keys.json")).problem();
    assertTrue(problem != null && problem.contains("--jwt-audience"), String.valueOf(problem));
    assertNull(parse(concat(TLS, "--jwt-jwks", "keys.json", "--jwt-audience", "flashsale-arbiter")).problem());
    assertNull(parse(TLS).problem(), "no JWTs, no audience needed");
  }

  /** Each security flag beside --insecure would be ignored; the arbiter names it and does not start. */
  @Test
  void insecureBesideASecurityFlagIsRefusedNamingTheFlag() {
    String[][] flags = {{"--tls-cert", "c.pem"}, {"--tls-key", "k.pem"}, {"--tls-ca", "ca.pem"}, {"--token-file", "t"},
        {"--jwt-jwks", "keys.json"}, {"--jwt-audience", "flashsale-arbiter"}, {"--jwt-issuer", "https://idp"}};
    for (String[] flag : flags) {
      String problem = parse("--insecure", flag[0], flag[1]).problem();
      assertTrue(problem != null && problem.contains(flag[0] + " would be ignored"), flag[0] + ": " + problem);
    }
    assertNull(parse("--insecure").problem());
    assertNull(parse("--insecure", "--trust-domain", "shop").problem(), "not a security flag --insecure drops");
  }

  private static String[] concat(String[] first, String... more) {
    String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }
}
