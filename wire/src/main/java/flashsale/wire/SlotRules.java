package flashsale.wire;

import flashsale.sale.ErrorReason;
import flashsale.v1.Event;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import flashsale.v1.Slot;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * An event's kind and slots as a CreateEvent call gives them: a reservation lists its slots (its
 * stock is their total), a flash sale lists none, and only GLOBAL_ORDER ranks reservations.
 */
public final class SlotRules {
  public static final int MAX_SLOTS = 1_000;
  private static final String FIELD = "event.slots";

  private SlotRules() {}

  public static boolean isReservation(Event e) {
    return e.getKind() == EventKind.EVENT_KIND_RESERVATION;
  }

  /** The stock the event sells: its slots' total for a reservation, an auction's units, its stock field otherwise. */
  public static long stockOf(Event e) {
    if (AuctionFields.isAuction(e)) return e.getAuction().getUnits();
    return isReservation(e) ? e.getSlotsList().stream().mapToLong(Slot::getCapacity).sum() : e.getStock();
  }

  /** INVALID_FIELD for a malformed kind or slot list; FAILED_PRECONDITION for a reservation in another mode. */
  static void validate(Event e) {
    if (e.getKind() == EventKind.UNRECOGNIZED) {
      throw EventValidator.invalid("event.kind", "must be EVENT_KIND_FLASH_SALE, EVENT_KIND_RESERVATION or EVENT_KIND_AUCTION");
    }
    AuctionFields.validate(e);
    if (!isReservation(e)) {
      if (e.getSlotsCount() > 0) throw EventValidator.invalid(FIELD, "are only for EVENT_KIND_RESERVATION");
      return;
    }
    if (e.getSlotsCount() == 0 || e.getSlotsCount() > MAX_SLOTS) {
      throw EventValidator.invalid(FIELD, "must list 1 to " + MAX_SLOTS + " slots for EVENT_KIND_RESERVATION");
    }
    Set<String> seen = new HashSet<>();
    long total = 0;
    for (Slot slot : e.getSlotsList()) {
      EventValidator.requireId(FIELD + ".name", slot.getName());
      if (!seen.add(slot.getName())) throw EventValidator.invalid(FIELD, "list slot " + slot.getName() + " twice");
      if (slot.getCapacity() < 1 || slot.getCapacity() > EventValidator.MAX_STOCK) {
        throw EventValidator.invalid(FIELD + ".capacity", "of slot " + slot.getName() + " must be between 1 and "
            + EventValidator.MAX_STOCK + ", got " + slot.getCapacity());
      }
      total += slot.getCapacity();
    }
    if (total > EventValidator.MAX_STOCK) {
      throw EventValidator.invalid(FIELD, "hold " + total + " units in all, more than " + EventValidator.MAX_STOCK);
    }
    if (e.getStock() != 0 && e.getStock() != total) {
      throw EventValidator.invalid("event.stock", "must be 0 or the slots' total " + total + " for a reservation, got "
          + e.getStock());
    }
    if (e.getMode() == EventMode.EVENT_MODE_SHARDED || e.getMode() == EventMode.EVENT_MODE_CENTRAL) {
      throw Errors.error(ErrorReason.MODE_NOT_SUPPORTED, "reservations are ranked in EVENT_MODE_GLOBAL_ORDER only; "
          + e.getMode() + " cannot place requests in slots fairly across regions",
          Map.of("mode", e.getMode().name(), "kind", e.getKind().name()));
    }
  }
}
