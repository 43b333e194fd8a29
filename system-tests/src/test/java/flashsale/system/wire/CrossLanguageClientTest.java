package flashsale.system.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.memory.InMemoryArbiterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A running cluster driven by grpc-js on Node.js, a client that shares nothing with the Java
 * stack: it creates an event, buys, reads the purchase back, and decodes a refusal's
 * google.rpc.ErrorInfo from the status details, as any gRPC client of ours must be able to; then
 * buys on a StreamPurchases stream, and bids in an auction on another.
 */
class CrossLanguageClientTest {
  @Test
  void grpcJsCreatesBuysReadsBackAndDecodesErrorInfo() throws Exception {
    OutsideBurstClient node = OutsideBurstClient.grpcJs();
    Path rpcRoot = OutsideBurstClient.rpcProtoRoot();
    try (LocalCluster cluster = LocalCluster.start(new InMemoryArbiterStore(),
        List.of(new RegionSpec("lisbon", 0, Duration.ZERO)), 2).awaitServing(Duration.ofSeconds(60))) {
      String output = node.node("crosslang.js", Duration.ofSeconds(90), "127.0.0.1:" + cluster.arbiter().port(),
          "127.0.0.1:" + cluster.region("lisbon").port(), "lisbon", "crosslang", node.protoRoot().toString(),
          rpcRoot.toAbsolutePath().toString());
      JsonObject result = JsonParser.parseString(output).getAsJsonObject();
      assertEquals("crosslang", result.get("created").getAsString(), output);
      assertEquals("OUTCOME_WON", result.get("outcome").getAsString(), output);
      assertEquals("OUTCOME_WON", result.get("readOutcome").getAsString(), output);
      assertEquals("1", result.get("readRank").getAsString(), output);
      JsonObject refused = result.getAsJsonObject("refused");
      assertEquals(5, refused.get("code").getAsInt(), output); // NOT_FOUND
      assertEquals("EVENT_NOT_FOUND", refused.get("reason").getAsString(), output);
      // On a StreamPurchases stream: the retry gets the first decision, the new buyer finds the
      // one unit sold, the refused purchase carries its code and reason, and the stream ends.
      JsonObject streamed = result.getAsJsonObject("streamed");
      assertEquals(true, streamed.get("ended").getAsBoolean(), output);
      JsonObject answers = streamed.getAsJsonObject("answers");
      assertEquals(3, answers.size(), output);
      assertEquals("OUTCOME_WON", answers.getAsJsonObject("ada-1").get("outcome").getAsString(), output);
      assertEquals("1", answers.getAsJsonObject("ada-1").get("rank").getAsString(), output);
      assertEquals("OUTCOME_LOST", answers.getAsJsonObject("bob-1").get("outcome").getAsString(), output);
      assertEquals(3, answers.getAsJsonObject("cy-1").get("code").getAsInt(), output); // INVALID_ARGUMENT
      assertEquals("INVALID_FIELD", answers.getAsJsonObject("cy-1").get("reason").getAsString(), output);
      // Bids on a stream: judged as PlaceBid judges them; a message with neither is refused, the stream goes on.
      JsonObject bids = result.getAsJsonObject("bids");
      assertEquals(true, bids.get("ended").getAsBoolean(), output);
      JsonObject bidAnswers = bids.getAsJsonObject("answers");
      assertEquals(3, bidAnswers.size(), output);
      assertEquals("BID_ANSWER_ACCEPTED", bidAnswers.getAsJsonObject("ada-bid").get("bid").getAsString(), output);
      assertEquals("BID_ANSWER_TOO_LOW", bidAnswers.getAsJsonObject("eve-bid").get("bid").getAsString(), output);
      assertEquals(3, bidAnswers.getAsJsonObject("").get("code").getAsInt(), output); // INVALID_ARGUMENT
      assertEquals("INVALID_FIELD", bidAnswers.getAsJsonObject("").get("reason").getAsString(), output);
    }
  }
}
