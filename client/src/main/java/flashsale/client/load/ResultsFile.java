package flashsale.client.load;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Reads and writes load results: JSON (an array of objects with the CSV's snake_case field names)
 * when the file name ends in {@code .json}, CSV otherwise.
 */
public final class ResultsFile {
  private static final Gson GSON =
      new GsonBuilder().setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create();

  private ResultsFile() {}

  /** Writes {@code records} to {@code path}, replacing it. */
  public static void write(Path path, List<RequestRecord> records) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
      if (isJson(path)) {
        GSON.toJson(records, out);
        out.write('\n');
      } else {
        ResultsCsv.write(out, records);
      }
    }
  }

  /**
   * Reads records written by {@link #write}.
   *
   * @throws IllegalArgumentException when the file is not a results file; the message names the
   *     file (and, for CSV, the line)
   */
  public static List<RequestRecord> read(Path path) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      if (!isJson(path)) {
        return ResultsCsv.read(in, path.toString());
      }
      try {
        List<RequestRecord> records = GSON.fromJson(in, new TypeToken<List<RequestRecord>>() {}.getType());
        if (records == null) {
          throw new IllegalArgumentException(path + ": empty results file");
        }
        return List.copyOf(records);
      } catch (JsonParseException | IllegalArgumentException | NullPointerException e) {
        throw new IllegalArgumentException(path + ": not a load results file: " + e.getMessage(), e);
      }
    }
  }

  private static boolean isJson(Path path) {
    return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
  }
}
