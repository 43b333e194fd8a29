package flashsale.client.cli;

import java.util.Arrays;
import java.util.List;

/** Renders rows of cells as left-aligned text columns; used by the report and the CLI tables. */
public final class TextTable {
  /** Column widths so far, for a table printed a page at a time. */
  private int[] widths = new int[0];

  /** Each column as wide as its widest cell, columns two spaces apart, no trailing blanks. */
  public static String render(List<List<String>> rows) {
    return new TextTable().renderPage(rows);
  }

  /** A table printed in pages as they arrive (a log too long to hold): call once per page. */
  static TextTable paged() {
    return new TextTable();
  }

  /**
   * {@code rows} with each column as wide as its widest cell in this page or any before, so
   * columns only ever widen: a later page's longer cell shifts the columns after it.
   */
  String renderPage(List<List<String>> rows) {
    int columns = rows.stream().mapToInt(List::size).max().orElse(0);
    if (columns > widths.length) widths = Arrays.copyOf(widths, columns);
    for (List<String> row : rows) {
      for (int c = 0; c < row.size(); c++) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.size(); c++) {
        line.append(row.get(c)).append(" ".repeat(widths[c] - row.get(c).length() + 2));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private TextTable() {}
}
