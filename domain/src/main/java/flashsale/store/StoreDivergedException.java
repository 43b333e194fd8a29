package flashsale.store;

/**
 * The store refused a batch whose ranks disagree with the ranks it holds (a rank already decided
 * differently, or a gap): the writer's view of the event is not the store's, say because another
 * leader decided more of it. The same batch would be refused forever; a writer rebuilt from the
 * store would not write it. Nothing was written.
 */
public final class StoreDivergedException extends StoreRejectedException {
  public StoreDivergedException(String message) {
    super(message);
  }
}
