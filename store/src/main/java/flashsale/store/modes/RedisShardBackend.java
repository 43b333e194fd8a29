package flashsale.store.modes;

import static flashsale.store.modes.RedisPoolStore.bytes;
import static flashsale.store.modes.RedisPoolStore.text;

import flashsale.shard.ShardBackend;
import flashsale.shard.ShardSnapshot;
import flashsale.shard.TransferRecord;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One region's shard in its Redis, as the transfer protocol drives it: each step is one call of
 * a {@code modes.lua} function, so each is atomic at this store. Calls block (the rebalancer runs
 * on its own thread) and throw when the store does not answer.
 */
final class RedisShardBackend implements ShardBackend {
  private final RedisPoolStore store;
  private final PoolKeys keys;
  private final String region;
  private final long initialUnits;
  private final boolean openedAtCreation;

  RedisShardBackend(RedisPoolStore store, PoolKeys keys, String region, long initialUnits, boolean openedAtCreation) {
    this.store = store;
    this.keys = keys;
    this.region = region;
    this.initialUnits = initialUnits;
    this.openedAtCreation = openedAtCreation;
  }

  @Override
  public String region() {
    return region;
  }

  @Override
  public DebitResult debit(String transferId, long units, String target) {
    String reply = versioned(call("debit", ScriptOutputType.STATUS,
        new String[] {keys.state(), keys.transfersOut(), keys.transfersSettled()}, bytes(initialUnits), bytes(transferId),
        bytes(units), bytes(target), store.seenVersion(keys.state(), openedAtCreation)));
    return switch (reply) {
      case "DEBITED" -> DebitResult.DEBITED;
      case "EXISTS" -> DebitResult.ALREADY_DEBITED;
      case "SHORT" -> DebitResult.SHORT;
      default -> throw new IllegalStateException("debit of " + transferId + " answered " + reply);
    };
  }

  @Override
  public boolean credit(String transferId, long units) {
    return versioned(call("credit", ScriptOutputType.STATUS,
        new String[] {keys.state(), keys.transfersIn(), keys.transfersForgotten()},
        bytes(initialUnits), bytes(transferId), bytes(units), store.seenVersion(keys.state(), openedAtCreation)))
        .equals("CREDITED");
  }

  @Override
  public void settle(String transferId) {
    call("settle", ScriptOutputType.STATUS, new String[] {keys.transfersOut(), keys.transfersSettled()}, bytes(transferId));
  }

  @Override
  public void forgetCredit(String transferId) {
    call("forget", ScriptOutputType.STATUS, new String[] {keys.transfersIn(), keys.transfersForgotten()}, bytes(transferId));
  }

  @Override
  public ShardSnapshot snapshot() {
    List<Object> reply = store.await("shard state of " + region, store.call("fs_modes_state", ScriptOutputType.MULTI,
        new String[] {keys.state(), keys.transfersOut(), keys.transfersIn()}));
    List<?> counters = (List<?>) reply.get(0);
    store.requireNotLost(keys.state(), counters.get(0), counters.get(3), counters.get(4), openedAtCreation);
    // A shard nobody touched yet still holds its initial units.
    long remaining = counters.get(1) == null ? initialUnits : Long.parseLong(text(counters.get(1)));
    long sold = counters.get(2) == null ? 0 : Long.parseLong(text(counters.get(2)));
    List<TransferRecord> outgoing = new ArrayList<>();
    List<?> flat = (List<?>) reply.get(1);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      String[] f = text(flat.get(i + 1)).split(" ");
      outgoing.add(new TransferRecord(text(flat.get(i)), region, f[1], Long.parseLong(f[2]), f[0].equals("PENDING")));
    }
    Set<String> credited = new HashSet<>();
    for (Object id : (List<?>) reply.get(2)) credited.add(text(id));
    return new ShardSnapshot(region, remaining, sold, outgoing, credited);
  }

  /** A step's answer ({@code "<result> <version>"}) without its version, which the store notes seen. */
  private String versioned(String reply) {
    int space = reply.indexOf(' ');
    if (space < 0) throw new IllegalStateException("shard " + region + " answered '" + reply + "' without a version");
    store.saw(keys.state(), Long.parseLong(reply.substring(space + 1)));
    return reply.substring(0, space);
  }

  private String call(String step, ScriptOutputType type, String[] keyNames, byte[]... args) {
    Object reply = store.await(step + " at shard " + region + " of event " + keys.eventId(),
        store.call("fs_modes_" + step, type, keyNames, args));
    return text(reply);
  }
}
