package flashsale.ops;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option values not given as flags: option {@code --foo-bar} is read from the environment variable
 * {@code FLASHSALE_FOO_BAR}, then from key {@code foo-bar} of the {@code --config} file (Java
 * properties, which also reads flat YAML {@code key: value} lines). Flags win over both, the
 * environment over the file; any option of any command gets this without code of its own.
 */
public final class ConfigDefaults implements IDefaultValueProvider {
  public static final String CONFIG_OPTION = "--config";
  static final String ENV_PREFIX = "FLASHSALE_";

  private final UnaryOperator<String> environment;
  private final Properties file;

  ConfigDefaults(UnaryOperator<String> environment, Properties file) {
    this.environment = environment;
    this.file = file;
  }

  /**
   * Installs the provider on {@code cmd}, with the file named by {@code --config} in {@code args}
   * (or by {@code FLASHSALE_CONFIG}). Throws {@link IllegalArgumentException} with one line when the
   * file cannot be read or names a key that is no option of the command.
   */
  public static void install(CommandLine cmd, String[] args, UnaryOperator<String> environment) {
    String configPath = configPath(args, environment);
    Properties file = configPath == null ? new Properties() : read(Path.of(configPath));
    checkKeys(cmd.getCommandSpec(), file, configPath);
    cmd.setDefaultValueProvider(new ConfigDefaults(environment, file));
  }

  /** The environment variable that sets option {@code longName} (e.g. {@code --redis}). */
  public static String environmentName(String longName) {
    return ENV_PREFIX + longName.replaceFirst("^-+", "").toUpperCase(Locale.ROOT).replace('-', '_');
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) return null;
    String name = option.longestName();
    String fromEnvironment = environment.apply(environmentName(name));
    if (fromEnvironment != null) return fromEnvironment;
    return file.getProperty(name.replaceFirst("^-+", ""));
  }

  private static String configPath(String[] args, UnaryOperator<String> environment) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(CONFIG_OPTION) && i + 1 < args.length) return args[i + 1];
      if (args[i].startsWith(CONFIG_OPTION + "=")) return args[i].substring(CONFIG_OPTION.length() + 1);
    }
    return environment.apply(environmentName(CONFIG_OPTION));
  }

  private static Properties read(Path path) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(path)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + path + ": " + e.getMessage(), e);
    }
    // flat YAML may quote values; properties would keep the quotes
    properties.replaceAll((k, v) -> v.toString().strip().replaceAll("^\"(.*)\"$|^'(.*)'$", "$1$2"));
    return properties;
  }

  private static void checkKeys(CommandSpec spec, Properties file, String path) {
    var unknown = new TreeSet<String>();
    for (String key : file.stringPropertyNames()) {
      if (spec.findOption("--" + key) == null || key.equals(CONFIG_OPTION.substring(2))) unknown.add(key);
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("config file " + path + ": unknown key(s) " + unknown
          + "; keys are option names without the leading --, e.g. port: 9090");
    }
  }
}
