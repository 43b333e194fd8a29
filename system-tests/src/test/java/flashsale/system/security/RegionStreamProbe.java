package flashsale.system.security;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import flashsale.v1.PurchaseDecision;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A hand-made region stream: what a hostile or broken region node can send, and what it hears back. */
public final class RegionStreamProbe implements StreamObserver<SequenceResponse> {
  private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private StreamObserver<SequenceRequest> up;

  /** Opens a stream and says hello as the region's unnamed node. */
  public static RegionStreamProbe open(ManagedChannel channel, String region) {
    return open(channel, region, "");
  }

  /** Opens a stream and says hello as node {@code nodeId} of {@code region}. */
  public static RegionStreamProbe open(ManagedChannel channel, String region, String nodeId) {
    RegionStreamProbe probe = new RegionStreamProbe();
    probe.up = SequencerServiceGrpc.newStub(channel).sequence(probe);
    probe.send(SequenceRequest.newBuilder().setHello(RegionHello.newBuilder().setRegion(region).setNodeId(nodeId)
        .setInstanceId("probe")).build());
    return probe;
  }

  public void send(SequenceRequest request) {
    up.onNext(request);
  }

  public void close() {
    up.onCompleted();
  }

  @Override
  public void onNext(SequenceResponse value) {
    inbox.add(value);
  }

  @Override
  public void onError(Throwable t) {
    inbox.add(t);
  }

  @Override
  public void onCompleted() {
    inbox.add("completed");
  }

  private Object next() throws InterruptedException {
    Object next = inbox.poll(20, TimeUnit.SECONDS);
    if (next == null) throw new AssertionError("nothing on the stream within 20 s");
    return next;
  }

  public StatusRuntimeException awaitError() throws InterruptedException {
    while (true) {
      Object next = next();
      if (next instanceof Throwable t) return assertInstanceOf(StatusRuntimeException.class, t);
      if (next instanceof SequenceResponse r && r.hasWelcome()) throw new AssertionError("welcomed: " + r);
    }
  }

  public void awaitWelcome() throws InterruptedException {
    while (true) {
      Object next = next();
      if (next instanceof SequenceResponse r && r.hasWelcome()) return;
      if (next instanceof Throwable t) throw new AssertionError("stream failed before its welcome", t);
    }
  }

  public List<PurchaseDecision> awaitDecisions(int count) throws InterruptedException {
    List<PurchaseDecision> decisions = new ArrayList<>();
    while (decisions.size() < count) {
      Object next = next();
      if (next instanceof SequenceResponse r && r.hasDecisionBatch()) decisions.addAll(r.getDecisionBatch().getDecisionsList());
      if (next instanceof SequenceResponse r && r.hasTicketRejection()) throw new AssertionError("rejected: " + r);
      if (next instanceof Throwable t) throw new AssertionError("stream failed", t);
    }
    return decisions;
  }
}
