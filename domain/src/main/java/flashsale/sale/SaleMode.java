package flashsale.sale;

/** How an event turns purchase requests into wins. */
public enum SaleMode {
  /** Regions stamp arrivals; the arbiter ranks all regions' stamps; the earliest win. */
  GLOBAL_ORDER,
  /** Stock is split per region; each region sells its own shard. */
  SHARDED,
  /** Baseline: every region deducts from one central store, first come first served. */
  CENTRAL
}
