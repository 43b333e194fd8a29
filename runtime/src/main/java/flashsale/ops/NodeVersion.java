package flashsale.ops;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the build's version from the jar manifest, and the Java running it. */
public final class NodeVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = NodeVersion.class.getPackage().getImplementationVersion();
    return new String[] {
      "${COMMAND-FULL-NAME} " + (version == null ? "(development build)" : version),
      "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
    };
  }
}
