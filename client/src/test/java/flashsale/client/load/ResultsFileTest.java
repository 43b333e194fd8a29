package flashsale.client.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResultsFileTest {
  static final List<RequestRecord> RECORDS =
      List.of(
          new RequestRecord("run-0", "user-000000", "near", 1_700_000_000_000_001L, 0, RecordOutcome.WON,
              1, 1_700_000_000_000_500L, 1_700_000_000_002_000L, 2_100, "", 1_700_000_000_000_300L),
          new RequestRecord("id,with \"quotes\"", "user, odd", "far", 1_700_000_000_000_002L, 30_000,
              RecordOutcome.LOST, 2, 1_700_000_000_031_000L, 1_700_000_000_032_000L, 33_000, ""),
          new RequestRecord("run-2", "user-000002", "far", 1_700_000_000_000_003L, 30_000,
              RecordOutcome.PENDING, 0, 1_700_000_000_031_100L, 0, 30_000_000, ""),
          new RequestRecord("run-3", "user-000003", "near", 1_700_000_000_000_004L, 0,
              RecordOutcome.ERROR, 0, 0, 0, 120, "UNAVAILABLE"),
          new RequestRecord("run-4", "user-000004", "near", 1_700_000_000_000_005L, 0, RecordOutcome.WON,
              3, 1_700_000_000_000_600L, 1_700_000_000_002_100L, 2_000, "", 0, "19:00;18:00", "18:00"));

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"results.csv | request_id,user_id,region,send_micros,", "results.json | \"send_micros\":1700000000000001"})
  void roundTripKeepsEveryField(String fileName, String expectedText, @TempDir Path dir) throws Exception {
    Path file = dir.resolve(fileName);
    ResultsFile.write(file, RECORDS);
    assertTrue(Files.readString(file).contains(expectedText), "format chosen by extension");
    assertEquals(RECORDS, ResultsFile.read(file));
  }

  @Test
  void csvWrittenBeforeReservationsReadsWithoutSlots(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("old.csv");
    Files.writeString(file, String.join(",", ResultsCsv.HEADER_WITHOUT_SLOTS) + "\nr,u,near,12,0,WON,1,20,30,40,,15\n");
    RequestRecord read = ResultsFile.read(file).get(0);
    assertEquals(15, read.wireMicros());
    assertEquals(List.of("", ""), List.of(read.slotsAsked(), read.slotWon()));
  }

  @Test
  void csvWrittenBeforeTapsReadsWithoutWireTimes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("old.csv");
    Files.writeString(file, String.join(",", ResultsCsv.HEADER_WITHOUT_WIRE) + "\nr,u,near,12,0,WON,1,20,30,40,\n");
    RequestRecord r = ResultsFile.read(file).get(0);
    assertEquals(0, r.wireMicros());
    assertEquals(20, r.arrivalMicros());
  }

  @Test
  void malformedCsvNamesFileAndLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.csv");
    Files.writeString(file, String.join(",", ResultsCsv.HEADER) + "\nr,u,near,12,0,WON,notanumber,0,0,0,\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsFile.read(file));
    assertTrue(e.getMessage().contains("bad.csv line 2"), e.getMessage());
  }

  @Test
  void fileWithoutHeaderIsRejected(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("other.csv");
    Files.writeString(file, "a,b,c\n");
    assertThrows(IllegalArgumentException.class, () -> ResultsFile.read(file));
  }
}
