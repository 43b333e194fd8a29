package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import flashsale.v1.FlashSaleServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reflection answers in v1 and v1alpha, and resolves google.rpc.ErrorInfo for error decoding. */
class ReflectionTest {
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    var builder = InProcessServerBuilder.forName(name).directExecutor()
        .addService(Reflection.withErrorDetails(new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {}.bindService()));
    Reflection.services().forEach(builder::addService);
    server = builder.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void v1ListsTheServiceAndResolvesErrorInfo() throws Exception {
    var listed = v1(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertTrue(listed.getListServicesResponse().getServiceList().stream()
        .anyMatch(s -> s.getName().equals(FlashSaleServiceGrpc.SERVICE_NAME)), listed.toString());

    var errorInfo = v1(ServerReflectionRequest.newBuilder().setFileContainingSymbol("google.rpc.ErrorInfo").build());
    List<String> files = new ArrayList<>();
    for (var bytes : errorInfo.getFileDescriptorResponse().getFileDescriptorProtoList()) files.add(fileName(bytes));
    assertTrue(files.contains("google/rpc/error_details.proto"), files.toString());
  }

  @Test
  @SuppressWarnings("deprecation")
  void v1alphaAnswersToo() throws Exception {
    var answer = new CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse>();
    var requests = io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel).serverReflectionInfo(observer(answer));
    requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("google.rpc.ErrorInfo").build());
    requests.onCompleted();
    var response = answer.get(5, TimeUnit.SECONDS);
    assertEquals("google/rpc/error_details.proto",
        fileName(response.getFileDescriptorResponse().getFileDescriptorProto(0)), response.toString());
  }

  private ServerReflectionResponse v1(ServerReflectionRequest request) throws Exception {
    var answer = new CompletableFuture<ServerReflectionResponse>();
    var requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(observer(answer));
    requests.onNext(request);
    requests.onCompleted();
    return answer.get(5, TimeUnit.SECONDS);
  }

  private static String fileName(com.google.protobuf.ByteString bytes) throws InvalidProtocolBufferException {
    return FileDescriptorProto.parseFrom(bytes).getName();
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override public void onNext(T value) { answer.complete(value); }
      @Override public void onError(Throwable t) { answer.completeExceptionally(t); }
      @Override public void onCompleted() { answer.completeExceptionally(new IllegalStateException("no answer")); }
    };
  }
}
