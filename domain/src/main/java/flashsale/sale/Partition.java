package flashsale.sale;

/**
 * One leadership partition: its index in a layout of {@code count} ({@link Partitions}). What a
 * leader records in the store is kept per partition and per layout, so a store written under
 * another partition count is still read after the count changed.
 */
public record Partition(int index, int count) {
  /** The only partition when leadership is not split. */
  public static final Partition ONLY = new Partition(0, 1);

  public Partition {
    if (!new Partitions(count).contains(index)) {
      throw new IllegalArgumentException("partition " + index + " is not one of " + count);
    }
  }
}
