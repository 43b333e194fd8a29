package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A peer frozen or cut off without a reset (a paused VM, a network that drops packets) answers no
 * ping: the server's keepalive ends its calls within the keepalive time and timeout, instead of
 * holding them, and what it writes to them, until TCP gives up. Real server, a client through a
 * proxy that stops forwarding without closing anything.
 */
class KeepAliveTest {

  @Test
  void aCallOfAPeerThatStopsAnsweringEndsWithinTheKeepalive() throws Exception {
    // gRPC's shortest keepalive time (10 s), a 1 s timeout: a call still open 3 s later was not ended by it.
    var limits = new ServerLimits(10_000, 0, 0, 60_000, 5_000, 100, 8_192, ServerLimits.MIN_KEEPALIVE_TIME_MS, 1_000, 0, 10);
    assertTrue(serverCallEndsWithin(limits, ServerLimits.MIN_KEEPALIVE_TIME_MS + 1_000 + 3_000),
        "the frozen peer's call was still open 14 s after the proxy froze (keepalive 10 s + 1 s)");
  }

  @Test
  void theNodesDefaultsPingSilentConnections() {
    assertTrue(ServerLimits.arbiterDefaults().keepAliveTimeMs() + ServerLimits.arbiterDefaults().keepAliveTimeoutMs() <= 15_000,
        "a region frozen for 15 s is dropped, as the region's link drops a silent arbiter");
    assertTrue(ServerLimits.regionDefaults().keepAliveTimeMs() <= 60_000);
  }

  @Test
  void aKeepaliveGrpcWouldRaiseIsRefused() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new ServerLimits(10_000, 0, 0, 60_000, 5_000, 100, 8_192, 500, 1_000, 0, 10));
    assertEquals("keepalive time must be at least 10000 ms (gRPC's minimum)", e.getMessage());
  }

  /** Whether a server-streaming call ends at the server within {@code waitMs} of the client's link freezing. */
  private static boolean serverCallEndsWithin(ServerLimits limits, long waitMs) throws Exception {
    CountDownLatch watching = new CountDownLatch(1);
    CompletableFuture<Void> cancelled = new CompletableFuture<>();
    Server server = limits.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            InsecureServerCredentials.create()))
        .addService(new HealthGrpc.HealthImplBase() {
          @Override
          public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
            ((ServerCallStreamObserver<HealthCheckResponse>) out).setOnCancelHandler(() -> cancelled.complete(null));
            out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
            watching.countDown();
          }
        })
        .build().start();
    try (FreezingProxy proxy = new FreezingProxy(server.getPort())) {
      ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + proxy.port(), InsecureChannelCredentials.create()).build();
      try {
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
        assertTrue(watching.await(10, TimeUnit.SECONDS), "the call is up");
        proxy.freeze();
        try {
          cancelled.get(waitMs, TimeUnit.MILLISECONDS);
          return true;
        } catch (java.util.concurrent.TimeoutException e) {
          return false;
        }
      } finally {
        channel.shutdownNow();
        server.shutdownNow();
      }
    }
  }

  /** Forwards bytes both ways until frozen; then reads and writes nothing, and closes nothing. */
  private static final class FreezingProxy implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;
    private final int targetPort;

    FreezingProxy(int targetPort) throws IOException {
      this.targetPort = targetPort;
      Thread acceptor = new Thread(this::accept, "freezing-proxy");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    void freeze() {
      frozen = true;
    }

    private void accept() {
      try {
        while (true) {
          Socket client = listener.accept();
          Socket target = new Socket("127.0.0.1", targetPort);
          sockets.add(client);
          sockets.add(target);
          pump(client, target);
          pump(target, client);
        }
      } catch (IOException closed) {
        // the proxy was closed
      }
    }

    private void pump(Socket from, Socket to) {
      Thread pump = new Thread(() -> {
        byte[] buffer = new byte[16_384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
          int n;
          while ((n = in.read(buffer)) >= 0) {
            while (frozen) Thread.sleep(1_000); // bytes held: neither delivered nor refused
            out.write(buffer, 0, n);
            out.flush();
          }
        } catch (IOException | InterruptedException e) {
          // a socket closed
        }
      }, "freezing-proxy-pump");
      pump.setDaemon(true);
      pump.start();
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket socket : sockets) socket.close();
    }
  }
}
