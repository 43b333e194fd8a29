package flashsale.client.bench;

import flashsale.client.ProtoTimes;
import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import flashsale.client.wire.RawPurchaseConnection;
import flashsale.client.wire.RawPurchaseConnection.Answer;
import flashsale.client.wire.RawPurchaseConnection.EncodedCall;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseRequest;
import flashsale.wire.Times;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.concurrent.locks.LockSupport;

/**
 * Puts a {@link BurstPlan} on the wire as pre-encoded HTTP/2 bytes (a Purchase call each, or the
 * messages of one StreamPurchases stream per region), one connection per region and one socket
 * write per region per millisecond slice, so tens of thousands of purchases can reach
 * the regions within a few tens of milliseconds. Records each purchase's answer beside its send
 * time and, from the taps, its wire arrival.
 */
public final class RawBurstDriver {
  private static final long SLICE_MICROS = 1_000;

  private final Map<String, String> targets;
  private final Duration deadline;
  private final ToLongFunction<String> wireMicros;
  private final InstantSource clock = InstantSource.system();

  private final boolean streamed;

  /** @param targets region to host:port (its tap) */
  public RawBurstDriver(Map<String, String> targets, Duration deadline, ToLongFunction<String> wireMicros) {
    this(targets, deadline, wireMicros, false);
  }

  /** @param streamed send each region's purchases as messages of one StreamPurchases stream, not a call each */
  public RawBurstDriver(Map<String, String> targets, Duration deadline, ToLongFunction<String> wireMicros, boolean streamed) {
    this.targets = new LinkedHashMap<>(targets);
    this.deadline = deadline;
    this.wireMicros = wireMicros;
    this.streamed = streamed;
  }

  public List<RequestRecord> run(String eventId, BurstPlan plan) throws IOException, InterruptedException {
    Map<String, RawPurchaseConnection> connections = new LinkedHashMap<>();
    try {
      for (var t : targets.entrySet()) {
        String[] hostPort = t.getValue().split(":");
        connections.put(t.getKey(), RawPurchaseConnection.open(hostPort[0], Integer.parseInt(hostPort[1]), clock, Duration.ofSeconds(10)));
      }
      Map<String, List<BurstPlan.Send>> byRegion = new LinkedHashMap<>();
      targets.keySet().forEach(r -> byRegion.put(r, new ArrayList<>()));
      plan.sends().forEach(s -> byRegion.get(s.region()).add(s));
      Map<String, List<EncodedCall>> encoded = new HashMap<>();
      for (var e : byRegion.entrySet()) {
        List<PurchaseRequest> requests = e.getValue().stream().map(s -> PurchaseRequest.newBuilder().setEventId(eventId)
            .setUserId(s.userId()).setRequestId(s.requestId()).setQuantity(1).build()).toList();
        RawPurchaseConnection c = connections.get(e.getKey());
        encoded.put(e.getKey(), streamed ? c.encodeStreamed(requests, deadline) : c.encode(requests, deadline));
        c.expect(requests.size());
      }
      Map<String, Long> sendMicros = write(byRegion, encoded, connections);
      List<RequestRecord> records = new ArrayList<>();
      for (var e : byRegion.entrySet()) {
        RawPurchaseConnection c = connections.get(e.getKey());
        if (!c.awaitAnswers(deadline.plusSeconds(5))) {
          throw new IllegalStateException("region " + e.getKey() + " left " + (e.getValue().size() - c.answers().size())
              + " purchases unanswered" + (c.failure() == null ? "" : ": " + c.failure()));
        }
        Map<String, Answer> answers = c.answers();
        for (BurstPlan.Send s : e.getValue()) records.add(record(s, sendMicros.get(s.requestId()), answers.get(s.requestId())));
      }
      return records;
    } finally {
      connections.values().forEach(RawPurchaseConnection::close);
    }
  }

  /** Writes each region's calls due in each slice, alternating which region goes first. */
  private Map<String, Long> write(Map<String, List<BurstPlan.Send>> byRegion, Map<String, List<EncodedCall>> encoded,
      Map<String, RawPurchaseConnection> connections) throws IOException, InterruptedException {
    Map<String, Long> sendMicros = new HashMap<>();
    Map<String, Integer> next = new HashMap<>();
    List<String> regions = new ArrayList<>(byRegion.keySet());
    long startNanos = System.nanoTime();
    int remaining = byRegion.values().stream().mapToInt(List::size).sum();
    for (long slice = 0; remaining > 0; slice++) {
      long dueNanos = startNanos + slice * SLICE_MICROS * 1000;
      for (long wait; (wait = dueNanos - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
      long sliceEndMicros = (slice + 1) * SLICE_MICROS;
      for (int k = 0; k < regions.size(); k++) {
        String region = regions.get((int) ((k + slice) % regions.size()));
        List<BurstPlan.Send> sends = byRegion.get(region);
        int from = next.getOrDefault(region, 0);
        int to = from;
        while (to < sends.size() && sends.get(to).offsetMicros() < sliceEndMicros) to++;
        if (to == from) continue;
        long micros = ProtoTimes.micros(clock.instant());
        connections.get(region).write(encoded.get(region).subList(from, to));
        for (int i = from; i < to; i++) sendMicros.put(sends.get(i).requestId(), micros);
        remaining -= to - from;
        next.put(region, to);
      }
    }
    return sendMicros;
  }

  private RequestRecord record(BurstPlan.Send s, long sendMicros, Answer a) {
    long wire = wireMicros.applyAsLong(s.requestId());
    long latency = a.answerMicros() - sendMicros;
    if (a.grpcStatus() != 0 || a.decision() == null) {
      return new RequestRecord(s.requestId(), s.userId(), s.region(), sendMicros, 0, RecordOutcome.ERROR, 0, 0, 0,
          latency, Status.fromCodeValue(a.grpcStatus()).getCode().name(), wire);
    }
    var d = a.decision();
    return new RequestRecord(s.requestId(), s.userId(), s.region(), sendMicros, 0,
        d.getOutcome() == Outcome.OUTCOME_WON ? RecordOutcome.WON : RecordOutcome.LOST, d.getRank(),
        Times.micros(d.getArrivalTime()), Times.micros(d.getDecideTime()), latency, "", wire);
  }
}
