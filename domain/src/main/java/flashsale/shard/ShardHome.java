package flashsale.shard;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.List;
import java.util.zip.CRC32;

/**
 * The home region of a user in a SHARDED event: the only region that sells to them, so the
 * per-user limit is checked in one shard store with no cross-region call. A stable hash of the
 * user id over the event's region list; every node computes the same answer.
 */
public final class ShardHome {
  private ShardHome() {}

  public static String of(String userId, List<String> regions) {
    CRC32 crc = new CRC32();
    crc.update(userId.getBytes(UTF_8));
    return regions.get((int) (crc.getValue() % regions.size()));
  }
}
