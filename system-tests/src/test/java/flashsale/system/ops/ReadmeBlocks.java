package flashsale.system.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's runnable command blocks: a fenced block right after a line
 * {@code <!-- readme-test -->} runs to completion; after {@code <!-- readme-test: background -->}
 * each of its lines starts a long-running process (a node). Blocks run in README order.
 */
record ReadmeBlocks(List<Block> blocks) {
  private static final Pattern MARKED = Pattern.compile(
      "(?m)^<!-- readme-test(: background)? -->\\s*\\n```[a-z]*\\n(.*?)\\n```", Pattern.DOTALL);

  record Block(boolean background, String text, int line) {
    /** The block's commands: continuation lines joined, comments and blank lines dropped. */
    List<String> commands() {
      List<String> commands = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String l : text.split("\n")) {
        String stripped = l.strip();
        if (current.isEmpty() && (stripped.isEmpty() || stripped.startsWith("#"))) continue;
        current.append(l);
        if (stripped.endsWith("\\")) {
          current.append('\n');
        } else {
          commands.add(current.toString());
          current.setLength(0);
        }
      }
      if (!current.isEmpty()) commands.add(current.toString());
      return commands;
    }

    /** The block with every port in {@code ports} replaced (a README port stands alone, never inside a longer number). */
    Block withPorts(Map<Integer, Integer> ports) {
      Matcher m = Pattern.compile("(?<![0-9])(\\d{4,5})(?![0-9])").matcher(text);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        Integer to = ports.get(Integer.parseInt(m.group(1)));
        m.appendReplacement(out, to == null ? m.group(1) : String.valueOf(to));
      }
      m.appendTail(out);
      return new Block(background, out.toString(), line);
    }
  }

  static ReadmeBlocks parse(String readme) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = MARKED.matcher(readme);
    while (m.find()) {
      int line = (int) readme.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
      blocks.add(new Block(m.group(1) != null, m.group(2), line));
    }
    return new ReadmeBlocks(blocks);
  }
}
