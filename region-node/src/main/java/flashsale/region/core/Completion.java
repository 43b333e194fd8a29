package flashsale.region.core;

import java.util.Objects;

/** A pending purchase that just ended: every call waiting on {@code requestId} gets {@code result}. */
public record Completion(String requestId, Admission.Settled result) {

  public Completion {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(result, "result");
  }
}
