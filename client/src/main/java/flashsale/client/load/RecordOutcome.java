package flashsale.client.load;

/** How one load-generator request ended. */
public enum RecordOutcome {
  WON,
  LOST,
  /** The deadline ran out and the region still had the request pending. */
  PENDING,
  /** The call failed; the record's error code says how. */
  ERROR;

  /** True for WON and LOST: the arbiter ranked the request. */
  public boolean decided() {
    return this == WON || this == LOST;
  }
}
