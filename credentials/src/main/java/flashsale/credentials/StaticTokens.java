package flashsale.credentials;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Bearer tokens from a file, one per line: {@code <roles> <name> <sha256 of the token, hex>}, e.g.
 * {@code admin,auditor ops 9f86d0…}. The file holds only hashes, so reading it gives no token away.
 * Blank lines and lines starting with {@code #} are ignored.
 */
public final class StaticTokens {
  /** What a line's fields are split on. */
  private static final Pattern SEPARATOR = Pattern.compile("\\s+");

  private final Map<String, Principal> byHash;

  private StaticTokens(Map<String, Principal> byHash) {
    this.byHash = Map.copyOf(byHash);
  }

  public static StaticTokens load(Path file) throws IOException {
    return parse(file, Files.readAllBytes(file));
  }

  /** As {@link #load}, from the file's {@code content} as one read found it. */
  public static StaticTokens parse(Path file, byte[] content) throws IOException {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(content)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IOException(file + " is not UTF-8 text", e); // as readAllLines refused it
    }
    return parse(text.lines().toList(), file.toString());
  }

  static StaticTokens parse(List<String> lines, String source) {
    Map<String, Principal> byHash = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] fields = SEPARATOR.split(line);
      String where = source + " line " + (i + 1);
      if (fields.length != 3) throw new IllegalArgumentException(where + ": expected '<roles> <name> <sha256 hex>'");
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String label : fields[0].split(",")) {
        roles.add(Role.fromLabel(label).orElseThrow(() -> new IllegalArgumentException(where + ": unknown role '" + label + "'")));
      }
      String hash = fields[2].toLowerCase(java.util.Locale.ROOT);
      if (!hash.matches("[0-9a-f]{64}")) throw new IllegalArgumentException(where + ": the token hash must be 64 hex digits");
      if (byHash.put(hash, new Principal(fields[1], roles, "token")) != null) {
        throw new IllegalArgumentException(where + ": the same token is listed twice");
      }
    }
    return new StaticTokens(byHash);
  }

  /** Whether {@code name} reads back from a line as its one name field: not empty, no whitespace. */
  public static boolean isName(String name) {
    return !name.isEmpty() && !SEPARATOR.matcher(name).find();
  }

  public Optional<Principal> lookUp(String token) {
    return Optional.ofNullable(byHash.get(sha256Hex(token)));
  }

  /** A new random token (32 bytes, hex): give it to the caller, put {@link #sha256Hex} of it in the file. */
  public static String newToken(SecureRandom random) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  public static String sha256Hex(String token) {
    return Sha256.hex(token.getBytes(StandardCharsets.UTF_8));
  }
}
