package flashsale.sale;

import java.util.regex.Pattern;

/** The shapes of the ids every layer checks, kept in the domain so the cores need no wire code. */
public final class Identifiers {
  /** Event, region and user ids; event ids end up inside Redis hash tags, so braces and spaces are out. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  /**
   * A region id: an {@link #ID} without ':', which separates a region's pool keys from their parts
   * (a region {@code x:users} would share keys with region {@code x}).
   */
  public static final Pattern REGION = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** A request id: printable ASCII without spaces. */
  public static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");

  private Identifiers() {}

  /** Whether {@code value} matches {@link #ID}; a loop, not a Matcher, as it runs for every purchase. */
  public static boolean isId(String value) {
    int n = value.length();
    if (n < 1 || n > 64) return false;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == ':' || c == '-';
      if (!ok) return false;
    }
    return true;
  }

  /** Whether {@code value} matches {@link #REQUEST_ID}, without a Matcher. */
  public static boolean isRequestId(String value) {
    int n = value.length();
    if (n < 1 || n > 128) return false;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
  }

  /**
   * True when some id occurs twice in {@code ids}. Asked of every reservation ticket's slots on the
   * arbiter's hot path: a short list is compared pairwise, with no set built.
   */
  public static boolean anyTwice(java.util.List<String> ids) {
    int n = ids.size();
    if (n > 16) return new java.util.HashSet<>(ids).size() != n;
    for (int i = 1; i < n; i++) {
      for (int j = 0; j < i; j++) {
        if (ids.get(i).equals(ids.get(j))) return true;
      }
    }
    return false;
  }
}
