package flashsale.client.bench;

import flashsale.v1.AuctionResult;
import flashsale.v1.AuctionSettings;
import flashsale.v1.BidAnswer;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.WinningBid;
import flashsale.wire.Times;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToLongFunction;

/**
 * One auction close through GLOBAL_ORDER, judged against the wire: bids from every region are sent
 * in a window around the (hard) close. The fair result replays the auction's rule (reserve,
 * increment over the units-th best, best amount then earlier arrival) over the bids that reached
 * their region before the close, in the order they reached it; the same replay over the order a
 * first-come central store would see (wire time plus the region's one-way delay, refusing what
 * reaches it after the close) is computed beside it.
 */
public final class AuctionRun {
  /** How a region refuses a bid stamped after the close (status code and ErrorInfo reason). */
  static final String CLOSED_AT_REGION = "FAILED_PRECONDITION EVENT_ENDED";

  private AuctionRun() {}

  /** The auction's rules in minor units. */
  public record Rules(int units, long reserveMinor, long incrementMinor) {}

  /** The stamp a region's EVENT_ENDED refusal names: {@code "…, request stamped 2026-12-07T09:15:00.000259Z"}. */
  private static final java.util.regex.Pattern REFUSED_STAMP = java.util.regex.Pattern.compile("request stamped (\\S+Z)");

  /**
   * The stamp (UTC epoch microseconds) a region's refusal of a bid past the close names, or 0 when
   * it names none: read from the message, whose form the region's {@code PurchaseRules} sets.
   */
  static long refusedStampMicros(String description) {
    var stamped = REFUSED_STAMP.matcher(String.valueOf(description));
    if (!stamped.find()) return 0;
    try {
      return flashsale.sale.Micros.of(java.time.Instant.parse(stamped.group(1)));
    } catch (java.time.format.DateTimeParseException e) {
      return 0;
    }
  }

  /** One bid as sent, answered and seen at the wire; {@code stampMicros} its region's stamp (0 when not told). */
  record Bid(String requestId, String region, long amountMinor, long wireMicros, BidAnswer answer, long stampMicros) {
    Bid(String requestId, String region, long amountMinor, long wireMicros, BidAnswer answer) {
      this(requestId, region, amountMinor, wireMicros, answer, 0);
    }
  }

  /**
   * What the close gave: winners as decided, as the wire order gives and as a central store would
   * give; on-time bids (before the close at the wire) refused as closed, late bids judged.
   */
  public record Figures(int bids, int onTimeAtWire, int onTimeRefused, int lateJudged, List<String> winners,
      List<String> winnersByWire, List<String> winnersCentral, Map<String, Integer> winnersPerRegion, long closeLatencyMicros,
      Map<String, Integer> otherErrors, Map<String, RefusedOnTime> onTimeRefusedByRegion) {

    /**
     * A region's on-time bids refused as closed: how many, and how long after their bytes reached
     * the region it stamped them (the refusal names the stamp), least and most. A stamp past the
     * close for bytes that came before it is the region's stamp lag plus its clock's error.
     */
    public record RefusedOnTime(int count, long minStampLagMicros, long maxStampLagMicros) {}

    /** Share of the wire order's winners that won. */
    public double precision() {
      return overlap(winners);
    }

    public double centralPrecision() {
      return overlap(winnersCentral);
    }

    /** {@code " (far 19, stamped 0.3-1.6 ms after their bytes arrived)"}, or nothing without such refusals. */
    private String describeRefused() {
      if (onTimeRefusedByRegion.isEmpty()) return "";
      return onTimeRefusedByRegion.entrySet().stream()
          .map(e -> String.format(java.util.Locale.ROOT, "%s %d, stamped %.2f-%.2f ms after their bytes arrived", e.getKey(),
              e.getValue().count(), e.getValue().minStampLagMicros() / 1e3, e.getValue().maxStampLagMicros() / 1e3))
          .collect(java.util.stream.Collectors.joining("; ", "; of those refused: ", ""));
    }

    private double overlap(List<String> actual) {
      if (winnersByWire.isEmpty()) return 1;
      Set<String> fair = new HashSet<>(winnersByWire);
      return (double) actual.stream().filter(fair::contains).count() / winnersByWire.size();
    }

    public List<String> describe() {
      return List.of(
          String.format(java.util.Locale.ROOT, "AUCTION (GLOBAL_ORDER): %d bids around a hard close, %d reached their"
              + " region before it; winners as the wire order gives: %d of %d (precision %.3f); on-time bids refused"
              + " as closed: %d, late bids judged: %d; result told %.1f ms after the close; other errors %s",
              bids, onTimeAtWire, Math.round(precision() * winnersByWire.size()), winnersByWire.size(), precision(),
              onTimeRefused, lateJudged, closeLatencyMicros / 1000.0, otherErrors)
              + describeRefused(),
          String.format(java.util.Locale.ROOT, "  a first-come central store (computed: wire time plus each region's"
              + " one-way delay, refusing what reaches it after the close) would give precision %.3f; winners per"
              + " region decided / wire / central: %s", centralPrecision(), winnersPerRegion));
    }
  }

  /**
   * Creates auction {@code eventId} closing {@code closeInMillis} from now, sends {@code perRegion}
   * bids from each region spread over {@code windowMillis} centred on the close, waits for the
   * result and judges it.
   */
  public static Figures run(Channel admin, Map<String, Channel> regions, String eventId, Rules rules, int perRegion,
      long closeInMillis, long windowMillis, long seed, ToLongFunction<String> wireMicros,
      Map<String, Long> oneWayDelayMillis) throws InterruptedException {
    long nowMicros = System.currentTimeMillis() * 1000;
    long closeMicros = nowMicros + closeInMillis * 1000;
    createEvent(admin, eventId, rules, List.copyOf(regions.keySet()), nowMicros - 1_000_000, closeMicros);
    record Planned(String requestId, String region, long amountMinor, long atMicros) {}
    SplittableRandom random = new SplittableRandom(seed);
    List<Planned> plan = new ArrayList<>();
    for (String region : regions.keySet()) {
      for (int i = 0; i < perRegion; i++) {
        long at = closeMicros - windowMillis * 500 + random.nextLong(windowMillis * 1000);
        plan.add(new Planned(eventId + "-" + region + "-" + i, region,
            rules.reserveMinor() + random.nextLong(100) * rules.incrementMinor(), at));
      }
    }
    plan.sort(Comparator.comparingLong(Planned::atMicros));
    Map<String, PurchaseDecision> decisions = new ConcurrentHashMap<>();
    Map<String, String> errors = new ConcurrentHashMap<>();
    Map<String, Long> refusedStamps = new ConcurrentHashMap<>();
    CountDownLatch answered = new CountDownLatch(plan.size());
    long startNanos = System.nanoTime();
    long startMicros = System.currentTimeMillis() * 1000;
    for (Planned p : plan) {
      long due = startNanos + (p.atMicros() - startMicros) * 1000;
      for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
      FlashSaleServiceGrpc.newStub(regions.get(p.region())).withDeadlineAfter(30, TimeUnit.SECONDS).placeBid(
          PlaceBidRequest.newBuilder().setEventId(eventId).setRequestId(p.requestId()).setUserId("bidder-" + p.requestId())
              .setAmountMinor(p.amountMinor()).setCurrencyCode("USD").build(),
          new StreamObserver<>() {
            @Override
            public void onNext(PlaceBidResponse response) {
              decisions.put(p.requestId(), response.getDecision());
            }

            @Override
            public void onError(Throwable t) {
              var status = io.grpc.Status.fromThrowable(t);
              long stamp = refusedStampMicros(status.getDescription());
              if (stamp != 0) refusedStamps.put(p.requestId(), stamp);
              var info = io.grpc.protobuf.StatusProto.fromThrowable(t);
              errors.put(p.requestId(), status.getCode() + (info == null ? "" : " " + info.getDetailsList().stream()
                  .filter(a -> a.is(com.google.rpc.ErrorInfo.class)).map(a -> {
                    try {
                      return a.unpack(com.google.rpc.ErrorInfo.class).getReason();
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                      return "";
                    }
                  }).findFirst().orElse("")));
              answered.countDown();
            }

            @Override
            public void onCompleted() {
              answered.countDown();
            }
          });
    }
    if (!answered.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("bids of " + eventId + " unanswered after 60 s");
    AuctionResult result = awaitClose(regions.values().iterator().next(), eventId);
    long toldMicros = System.currentTimeMillis() * 1000;
    List<Bid> bids = new ArrayList<>();
    Map<String, Integer> otherErrors = new TreeMap<>();
    for (Planned p : plan) {
      PurchaseDecision d = decisions.get(p.requestId());
      String error = errors.get(p.requestId());
      long wire = wireMicros.applyAsLong(p.requestId());
      if (wire == 0) continue; // never seen at the tap: cannot be judged
      if (d != null) {
        bids.add(new Bid(p.requestId(), p.region(), p.amountMinor(), wire, d.getBid().getAnswer(),
            Times.micros(d.getArrivalTime())));
      } else if (CLOSED_AT_REGION.equals(error)) { // refused by its region: stamped after the close
        bids.add(new Bid(p.requestId(), p.region(), p.amountMinor(), wire, BidAnswer.BID_ANSWER_CLOSED,
            refusedStamps.getOrDefault(p.requestId(), 0L)));
      } else {
        otherErrors.merge(error == null ? "unanswered" : error, 1, Integer::sum);
      }
    }
    List<String> winners = result.getWinningBidsList().stream().map(WinningBid::getRequestId).toList();
    return judge(bids, winners, rules, Times.micros(result.getCloseTime()), oneWayDelayMillis,
        Math.max(0, toldMicros - Times.micros(result.getCloseTime())), otherErrors);
  }

  /** Replays the rule over the wire order and over the central-store order. */
  static Figures judge(List<Bid> bids, List<String> winners, Rules rules, long closeMicros,
      Map<String, Long> oneWayDelayMillis, long closeLatencyMicros, Map<String, Integer> otherErrors) {
    ToLongFunction<Bid> atCentral = b -> b.wireMicros() + oneWayDelayMillis.getOrDefault(b.region(), 0L) * 1000;
    List<String> byWire = replay(bids, Bid::wireMicros, rules, closeMicros);
    List<String> central = replay(bids, atCentral, rules, closeMicros);
    int onTime = 0;
    int onTimeRefused = 0;
    int lateJudged = 0;
    Map<String, Figures.RefusedOnTime> refusedByRegion = new TreeMap<>();
    for (Bid b : bids) {
      boolean early = b.wireMicros() < closeMicros;
      if (early) onTime++;
      if (early && b.answer() == BidAnswer.BID_ANSWER_CLOSED) {
        onTimeRefused++;
        long lag = b.stampMicros() == 0 ? 0 : b.stampMicros() - b.wireMicros();
        refusedByRegion.merge(b.region(), new Figures.RefusedOnTime(1, lag, lag), (x, y) -> new Figures.RefusedOnTime(
            x.count() + y.count(), Math.min(x.minStampLagMicros(), y.minStampLagMicros()),
            Math.max(x.maxStampLagMicros(), y.maxStampLagMicros())));
      }
      if (!early && b.answer() != BidAnswer.BID_ANSWER_CLOSED) lateJudged++;
    }
    Map<String, String> regionOf = new java.util.HashMap<>();
    bids.forEach(b -> regionOf.put(b.requestId(), b.region()));
    Map<String, Integer> perRegion = new TreeMap<>();
    for (String region : new TreeSet<>(regionOf.values())) {
      perRegion.put(region + " decided", (int) winners.stream().filter(id -> region.equals(regionOf.get(id))).count());
      perRegion.put(region + " wire", (int) byWire.stream().filter(id -> region.equals(regionOf.get(id))).count());
      perRegion.put(region + " central", (int) central.stream().filter(id -> region.equals(regionOf.get(id))).count());
    }
    return new Figures(bids.size(), onTime, onTimeRefused, lateJudged, winners, byWire, central, perRegion,
        closeLatencyMicros, Map.copyOf(otherErrors), refusedByRegion);
  }

  /**
   * The auction's rule over the bids arriving before the close, in arrival order: accepted when at
   * least the reserve and, once {@code units} bids stand, the last one's amount plus the increment.
   */
  static List<String> replay(List<Bid> bids, ToLongFunction<Bid> arrivalMicros, Rules rules, long closeMicros) {
    Comparator<Bid> bestFirst = Comparator.comparingLong(Bid::amountMinor).reversed()
        .thenComparingLong(arrivalMicros).thenComparing(Bid::requestId);
    TreeSet<Bid> standing = new TreeSet<>(bestFirst);
    bids.stream().filter(b -> arrivalMicros.applyAsLong(b) < closeMicros).sorted(Comparator.comparingLong(arrivalMicros))
        .forEach(b -> {
          long toBeat = standing.size() < rules.units() ? rules.reserveMinor()
              : Math.max(rules.reserveMinor(), standing.last().amountMinor() + rules.incrementMinor());
          if (b.amountMinor() < toBeat) return;
          standing.add(b);
          if (standing.size() > rules.units()) standing.pollLast();
        });
    return standing.stream().map(Bid::requestId).toList();
  }

  private static AuctionResult awaitClose(Channel region, String eventId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      AuctionResult result = FlashSaleServiceGrpc.newBlockingStub(region).withDeadlineAfter(5, TimeUnit.SECONDS)
          .getEvent(GetEventRequest.newBuilder().setEventId(eventId).build()).getAuction();
      if (result.getClosed()) return result;
      if (System.nanoTime() > deadline) throw new IllegalStateException("auction " + eventId + " not closed after 30 s");
      Thread.sleep(5);
    }
  }

  static void createEvent(Channel admin, String eventId, Rules rules, List<String> regions, long startMicros,
      long closeMicros) {
    Event event = Event.newBuilder().setEventId(eventId).setItem("signed guitar").setStock(rules.units())
        .setStartTime(Times.timestamp(startMicros)).setEndTime(Times.timestamp(closeMicros))
        .addAllRegions(regions).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).setKind(EventKind.EVENT_KIND_AUCTION)
        .setAuction(AuctionSettings.newBuilder().setUnits(rules.units()).setReservePriceMinor(rules.reserveMinor())
            .setMinIncrementMinor(rules.incrementMinor()).setCurrencyCode("USD"))
        .build();
    EventAdminServiceGrpc.newBlockingStub(admin)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
  }
}
