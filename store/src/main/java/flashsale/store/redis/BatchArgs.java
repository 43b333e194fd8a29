package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.sale.Decision;
import flashsale.sale.EventHead;
import flashsale.sale.DecisionBatch;

/**
 * Lays a batch out as the arguments of the persist function: event id, batch sequence, first
 * rank, count, the writer's fencing epoch, the batch's late decisions, the stamp and request id of
 * the last ticket released in order (empty when none), the writer's id (whose claim an equal
 * epoch must match), the stamp of the latest bid the batch accepts (empty when none), then per decision its request id, user id, units won and encoded decision, and,
 * for winners only, region and arrival micros for the outbox entry and the slot won (empty for a
 * flash sale), which the function checks against the slot's capacity.
 */
final class BatchArgs {
  private static final int HEADER = 10;
  private static final int PER_DECISION = 4;
  private static final int PER_WINNER = 3;

  private BatchArgs() {}

  static byte[][] of(DecisionBatch batch, long fencingEpoch, String writer) {
    int winners = (int) batch.decisions().stream().filter(d -> d.unitsWon() > 0).count();
    byte[][] args = new byte[HEADER + PER_DECISION * batch.decisions().size() + PER_WINNER * winners][];
    int i = 0;
    args[i++] = utf8(batch.eventId());
    args[i++] = number(batch.sequence());
    args[i++] = number(batch.firstRank());
    args[i++] = number(batch.decisions().size());
    args[i++] = number(fencingEpoch);
    args[i++] = number(batch.lateDecisions());
    args[i++] = utf8(batch.releasedThrough().map(t -> Long.toString(t.stampMicros())).orElse(""));
    args[i++] = utf8(batch.releasedThrough().map(EventHead.Released::text).orElse(""));
    args[i++] = utf8(writer);
    args[i++] = utf8(batch.decisions().stream().filter(d -> d.ticket().isBid() && d.won())
        .mapToLong(d -> d.ticket().stampMicros()).max().stream().mapToObj(Long::toString).findFirst().orElse(""));
    for (Decision d : batch.decisions()) {
      args[i++] = utf8(d.requestId());
      args[i++] = utf8(d.ticket().userId());
      args[i++] = number(d.unitsWon());
      args[i++] = DecisionCodec.encode(d);
      if (d.unitsWon() > 0) { // not a standing bid: its unit is taken at the close
        args[i++] = utf8(d.ticket().region());
        args[i++] = number(d.ticket().stampMicros());
        args[i++] = utf8(d.slot());
      }
    }
    return args;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  private static byte[] number(long n) {
    return Long.toString(n).getBytes(UTF_8);
  }
}
