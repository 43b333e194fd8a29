package flashsale.client.report;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The fairness and performance metrics of one run, as pure functions of its records. Only
 * decided requests (won or lost) take part in the fairness metrics: a request that never got a
 * decision has no rank to compare. Quantities are not weighted: every request counts once (the
 * workload buys one unit per request), so N is the number of winning requests.
 *
 * <p>Each fairness metric ranks the ideal by a {@link Truth}: the wire arrival at the region when
 * a tap saw it, or the load generator's send time. The one-argument forms use the send time.
 */
public final class FairnessMetrics {
  private FairnessMetrics() {}

  /** Order under {@code truth}; the request id breaks exact ties so results never depend on input order. */
  private static Comparator<RequestRecord> order(Truth truth) {
    return Comparator.comparingLong(truth::micros).thenComparing(RequestRecord::requestId);
  }

  /** Decided requests in true send order. */
  public static List<RequestRecord> decidedBySendTime(List<RequestRecord> records) {
    return decidedInOrder(records, Truth.SEND);
  }

  /** Decided requests in the order of {@code truth}. */
  public static List<RequestRecord> decidedInOrder(List<RequestRecord> records, Truth truth) {
    requireTruth(records, truth);
    return records.stream().filter(RequestRecord::decided).sorted(order(truth)).toList();
  }

  /** Request ids of the ideal winners: the first N decided requests by true send time. */
  public static Set<String> idealWinners(List<RequestRecord> records) {
    return idealWinners(records, Truth.SEND);
  }

  /** Request ids of the ideal winners: the first N decided requests under {@code truth}. */
  public static Set<String> idealWinners(List<RequestRecord> records, Truth truth) {
    long winners = records.stream().filter(RequestRecord::won).count();
    Set<String> ideal = new HashSet<>();
    decidedInOrder(records, truth).stream().limit(winners).forEach(r -> ideal.add(r.requestId()));
    return ideal;
  }

  /**
   * |actual winners ∩ ideal winners| / N. 1 means exactly the earliest senders won; NaN when
   * nobody won.
   */
  public static double winnerPrecision(List<RequestRecord> records) {
    return winnerPrecision(records, Truth.SEND);
  }

  /**
   * As {@link #winnerPrecision(List)}, the ideal ranked by {@code truth}. Requests that arrived at
   * the same instant as the N-th (at the wire: in the same socket read) cannot be told apart, so
   * that tie is broken in the system's favour: every winner that arrived strictly before the N-th
   * instant is a hit, and winners at that instant are hits up to the places left there.
   */
  public static double winnerPrecision(List<RequestRecord> records, Truth truth) {
    long winners = records.stream().filter(RequestRecord::won).count();
    if (winners == 0) {
      return Double.NaN;
    }
    long cutOffMicros = cutOffMicros(records, truth, winners);
    long before = records.stream().filter(r -> r.decided() && truth.micros(r) < cutOffMicros).count();
    long winnersBefore = records.stream().filter(r -> r.won() && truth.micros(r) < cutOffMicros).count();
    long winnersAt = records.stream().filter(r -> r.won() && truth.micros(r) == cutOffMicros).count();
    return (double) (winnersBefore + Math.min(winnersAt, winners - before)) / winners;
  }

  /**
   * The tie {@link #winnerPrecision(List, Truth)} breaks in the system's favour: how many decided
   * requests arrived at the N-th winner's instant under {@code truth} (at the wire: in the same
   * socket read), and how many of the N places fall at that instant. A tie of 1 is no tie.
   */
  public record CutTie(long requests, long places) {}

  /** See {@link CutTie}; {@code (0, 0)} when nobody won. */
  public static CutTie cutTie(List<RequestRecord> records, Truth truth) {
    long winners = records.stream().filter(RequestRecord::won).count();
    if (winners == 0) return new CutTie(0, 0);
    long cutOffMicros = cutOffMicros(records, truth, winners);
    long before = records.stream().filter(r -> r.decided() && truth.micros(r) < cutOffMicros).count();
    long at = records.stream().filter(r -> r.decided() && truth.micros(r) == cutOffMicros).count();
    return new CutTie(at, winners - before);
  }

  /**
   * The requests on the wrong side of the cut that {@link #winnerPrecision(List, Truth)} scores:
   * lost though they arrived before the N-th winner's instant, or won though they arrived after it
   * (those at that instant cannot be told apart and are not counted). Empty when nobody won.
   */
  public static Set<String> misranked(List<RequestRecord> records, Truth truth) {
    long winners = records.stream().filter(RequestRecord::won).count();
    Set<String> misranked = new HashSet<>();
    if (winners == 0) return misranked;
    long cutOffMicros = cutOffMicros(records, truth, winners);
    for (RequestRecord r : records) {
      if (!r.decided()) continue;
      long micros = truth.micros(r);
      if ((micros < cutOffMicros && !r.won()) || (micros > cutOffMicros && r.won())) misranked.add(r.requestId());
    }
    return misranked;
  }

  /** The instant, under {@code truth}, of the N-th decided request: where the ideal winners end. */
  private static long cutOffMicros(List<RequestRecord> records, Truth truth, long winners) {
    return truth.micros(decidedInOrder(records, truth).get((int) winners - 1));
  }

  /**
   * Exact count of pairs of decided requests more than {@code clockBoundMicros} apart in true send
   * time whose ranks disagree with that order (CloudEx's inbound unfairness). Pairs within the
   * bound are ties that no clock could order and are skipped. So are pairs the system did not
   * order: two of equal {@link #orderKey}, i.e. two losses after the last win. O(n log n): a sweep
   * in send order inserts each request's key into a Fenwick tree once every later request is more
   * than the bound after it, and counts the inserted keys above the current one.
   */
  public static InversionCount inversions(List<RequestRecord> records, long clockBoundMicros) {
    return inversions(records, clockBoundMicros, Truth.SEND);
  }

  /** As {@link #inversions(List, long)}, pairs ordered and spaced by {@code truth}. */
  public static InversionCount inversions(List<RequestRecord> records, long clockBoundMicros, Truth truth) {
    if (clockBoundMicros < 0) {
      throw new IllegalArgumentException("clock bound must be ≥ 0, got " + clockBoundMicros);
    }
    List<RequestRecord> sorted = decidedInOrder(records, truth);
    long lastWinRank = lastWinRank(sorted);
    long[] keys = sorted.stream().mapToLong(r -> orderKey(r, lastWinRank)).sorted().distinct().toArray();
    RankCounter counter = new RankCounter(keys.length);
    long compared = 0;
    long inverted = 0;
    int inserted = 0;
    for (RequestRecord later : sorted) {
      while (inserted < sorted.size()
          && truth.micros(later) - truth.micros(sorted.get(inserted)) > clockBoundMicros) {
        counter.add(Arrays.binarySearch(keys, orderKey(sorted.get(inserted), lastWinRank)));
        inserted++;
      }
      int key = Arrays.binarySearch(keys, orderKey(later, lastWinRank));
      int atMost = counter.countAtMost(key);
      compared += inserted - (atMost - (key == 0 ? 0 : counter.countAtMost(key - 1))); // equal keys: not ordered
      inverted += inserted - atMost;
    }
    return new InversionCount(inverted, compared);
  }

  /** The highest rank of a win among {@code records}; MAX_VALUE when nobody won. */
  static long lastWinRank(List<RequestRecord> records) {
    return records.stream().filter(RequestRecord::won).mapToLong(RequestRecord::rank).max().orElse(Long.MAX_VALUE);
  }

  /**
   * A decided request's place for inversions: its rank, except that every loss after the last win
   * (and every rank-0 answer) shares one place. Those lost to an empty stock, and once the stock is
   * gone the arbiter answers them as they reach it (the sold-out fast path): their order among
   * themselves is not a ranking and decides nothing. (An event with a waitlist ranks as many as
   * its bound in order; this metric does not judge that order, `PaymentWaitlistEndToEndTest` does.)
   */
  static long orderKey(RequestRecord r, long lastWinRank) {
    return !r.won() && r.orderRank() > lastWinRank ? Long.MAX_VALUE : r.orderRank();
  }

  /** Each region's actual and ideal share of the winners, by region name. */
  public static List<RegionShare> regionShares(List<RequestRecord> records) {
    return regionShares(records, Truth.SEND);
  }

  /** Each region's actual share of the winners and its ideal share under {@code truth}. */
  public static List<RegionShare> regionShares(List<RequestRecord> records, Truth truth) {
    Set<String> ideal = idealWinners(records, truth);
    Map<String, long[]> wins = new TreeMap<>(); // region → {actual, ideal}
    for (RequestRecord r : records) {
      long[] w = wins.computeIfAbsent(r.region(), k -> new long[2]);
      if (r.won()) {
        w[0]++;
      }
      if (ideal.contains(r.requestId())) {
        w[1]++;
      }
    }
    double n = ideal.size();
    return wins.entrySet().stream()
        .map(e -> new RegionShare(e.getKey(), e.getValue()[0], e.getValue()[1],
            n == 0 ? Double.NaN : e.getValue()[0] / n, n == 0 ? Double.NaN : e.getValue()[1] / n))
        .toList();
  }

  /**
   * Widest gap between two stamps the arbiter may order by its near-tie lottery: each ticket's
   * uncertainty is ranked as at most 1 ms ({@code SequencerConfig.DEFAULT_MAX_ERROR_BOUND_MICROS}),
   * and two tickets are a near tie when their intervals overlap.
   */
  public static final long NEAR_TIE_BAND_MICROS = 2_000;

  /** As {@link #misrankedByLottery(List, Truth, long)} within {@link #NEAR_TIE_BAND_MICROS}. */
  public static long misrankedByLottery(List<RequestRecord> records, Truth truth) {
    return misrankedByLottery(records, truth, NEAR_TIE_BAND_MICROS);
  }

  /**
   * Of the {@link #misranked} requests, those the near-tie lottery can explain: a winner after the
   * cut stamped later than some loser at or before it, by at most {@code bandMicros}, or a loser
   * before the cut stamped earlier than some winner at or after it, by at most {@code bandMicros}.
   * Either way the arbiter ranked a later stamp ahead of an earlier one close enough to be a near
   * tie, which only its lottery does. The others were ordered by stamps that disagreed with
   * {@code truth} (stamping error). Pairs are matched one by one, so one loser drawn by the
   * lottery does not make every late winner a draw. 0 when nobody won.
   */
  public static long misrankedByLottery(List<RequestRecord> records, Truth truth, long bandMicros) {
    long winners = records.stream().filter(RequestRecord::won).count();
    if (winners == 0) return 0;
    long cutOffMicros = cutOffMicros(records, truth, winners);
    java.util.TreeSet<Long> loserStampsToCut = records.stream()
        .filter(r -> r.decided() && !r.won() && truth.micros(r) <= cutOffMicros)
        .map(RequestRecord::arrivalMicros).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    java.util.TreeSet<Long> winnerStampsFromCut = records.stream()
        .filter(r -> r.won() && truth.micros(r) >= cutOffMicros)
        .map(RequestRecord::arrivalMicros).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    long lateWinners = records.stream()
        .filter(r -> r.won() && truth.micros(r) > cutOffMicros)
        .filter(r -> {
          Long loser = loserStampsToCut.floor(r.arrivalMicros()); // the closest loser stamped no later (equal: the tie-break's)
          return loser != null && r.arrivalMicros() - loser <= bandMicros;
        }).count();
    long earlyLosers = records.stream()
        .filter(r -> r.decided() && !r.won() && truth.micros(r) < cutOffMicros)
        .filter(r -> {
          Long winner = winnerStampsFromCut.ceiling(r.arrivalMicros()); // the closest winner stamped no earlier
          return winner != null && winner - r.arrivalMicros() <= bandMicros;
        }).count();
    return lateWinners + earlyLosers;
  }

  /**
   * How long after the earliest loser the latest winner arrived, under {@code truth}: 0 when every
   * winner came before every loser, as a fair sale of single units must have it (up to the clock
   * bound). 0 when nobody won or nobody lost.
   */
  public static long latestWinnerAfterEarliestLoserMicros(List<RequestRecord> records, Truth truth) {
    requireTruth(records, truth);
    long latestWinner = records.stream().filter(RequestRecord::won).mapToLong(truth::micros).max().orElse(Long.MIN_VALUE);
    long earliestLoser = records.stream().filter(r -> r.decided() && !r.won()).mapToLong(truth::micros).min().orElse(Long.MAX_VALUE);
    if (latestWinner == Long.MIN_VALUE || earliestLoser == Long.MAX_VALUE) return 0;
    return Math.max(0, latestWinner - earliestLoser);
  }

  /** Decided requests a tap did not see (they cannot be ranked at the wire). */
  public static long decidedOffWire(List<RequestRecord> records) {
    return records.stream().filter(r -> r.decided() && !r.seenOnWire()).count();
  }

  private static void requireTruth(List<RequestRecord> records, Truth truth) {
    if (truth == Truth.WIRE && decidedOffWire(records) > 0) {
      throw new IllegalArgumentException(decidedOffWire(records) + " decided requests have no wire time; rank them by send time");
    }
  }

  /**
   * Send-to-answer latency of decided requests and of those still pending when the client gave up
   * (they waited their whole deadline: left out, they would make the slowest calls vanish from the
   * tail), in microseconds (3 significant digits). Failed calls are counted apart.
   */
  public static Histogram latencyHistogram(List<RequestRecord> records) {
    Histogram histogram = new Histogram(3);
    records.stream().filter(r -> r.decided() || r.outcome() == RecordOutcome.PENDING)
        .forEach(r -> histogram.recordValue(r.latencyMicros()));
    return histogram;
  }

  /**
   * Decided requests per second, over the span from the first send to the last answer; 0 when
   * the span is empty.
   */
  public static double throughputPerSecond(List<RequestRecord> records) {
    long first = records.stream().mapToLong(RequestRecord::sendMicros).min().orElse(0);
    long last = records.stream().mapToLong(r -> r.sendMicros() + r.latencyMicros()).max().orElse(0);
    long decided = records.stream().filter(RequestRecord::decided).count();
    return last <= first ? 0 : decided * 1e6 / (last - first);
  }

  /** Fenwick tree counting inserted rank indices at or below a given index. */
  private static final class RankCounter {
    private final int[] tree;

    RankCounter(int size) {
      tree = new int[size + 1];
    }

    void add(int index) {
      for (int i = index + 1; i < tree.length; i += i & -i) {
        tree[i]++;
      }
    }

    int countAtMost(int index) {
      int count = 0;
      for (int i = index + 1; i > 0; i -= i & -i) {
        count += tree[i];
      }
      return count;
    }
  }
}
