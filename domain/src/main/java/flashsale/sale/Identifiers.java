package flashsale.sale;

import java.util.regex.Pattern;

/** The shapes of the ids every layer checks, kept in the domain so the cores need no wire code. */
public final class Identifiers {
  /** Event, region and user ids; event ids end up inside Redis hash tags, so braces and spaces are out. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  /** A request id: printable ASCII without spaces. */
  public static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");

  private Identifiers() {}
}
