package flashsale.region.core;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * Prints what a region's remembered decisions cost: heap (after full collections) and direct
 * memory, per decision, with {@code count} decisions remembered. Not a test: run it as the README's
 * "Memory" section says. The ids look like a load generator's (request and user ids of 12-16
 * characters, one event).
 */
public final class RememberedMemoryProbe {
  private RememberedMemoryProbe() {}

  public static void main(String[] args) {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    var spec = new flashsale.sale.EventSpec("probe-event", "shoes", 10, Specs.START, Long.MAX_VALUE / 2, 2,
        java.util.List.of(Specs.REGION, "us"), flashsale.sale.SaleMode.GLOBAL_ORDER, 0);
    long heapBefore = heapAfterGc();
    long directBefore = direct();
    var book = new RegionBook(Specs.REGION, 1, count);
    long stamp = Specs.START;
    for (int i = 0; i < count; i++) {
      var req = Specs.buy("probe-event", "user-" + (1_000_000 + i), "request-" + (1_000_000 + i), 1);
      var ticket = ((Admission.Ticketed) book.purchase(req, spec, stamp++)).ticket();
      book.decided(i % 10 == 0 ? Specs.won(ticket, i + 1) : Specs.lost(ticket, i + 1)).orElseThrow();
    }
    if (book.rememberedCount() != count) throw new AssertionError("remembered " + book.rememberedCount());
    long heap = heapAfterGc() - heapBefore;
    long direct = direct() - directBefore;
    System.out.printf("%,d remembered decisions: heap %,d bytes (%,d per decision), direct %,d bytes (%,d per decision)%n",
        count, heap, heap / count, direct, direct / count);
    if (book.answer("request-" + (1_000_000 + count - 1)).isEmpty()) throw new AssertionError("newest forgotten");
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long direct() {
    return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(p -> p.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
  }
}
