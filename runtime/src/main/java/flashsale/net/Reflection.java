package flashsale.net;

import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.rpc.ErrorDetailsProto;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.List;
import java.util.stream.Stream;

/**
 * Server reflection as tools expect it: v1 and v1alpha (grpcurl before 1.8.8 and older IDE plugins
 * speak only v1alpha), and {@code google.rpc.ErrorInfo} resolvable, so {@code buf curl} and
 * {@code grpcurl} print an error's reason instead of base64. Reflection only serves files that
 * registered services' files depend on, and no flashsale proto uses ErrorInfo in a message, so
 * one service's file is served with {@code google/rpc/error_details.proto} added as a dependency.
 */
public final class Reflection {
  private Reflection() {}

  /** The v1 and v1alpha reflection services, to add to a server. */
  @SuppressWarnings("deprecation") // v1alpha is deprecated by gRPC, and still what older tools speak
  public static List<BindableService> services() {
    return List.of(ProtoReflectionServiceV1.newInstance(), ProtoReflectionService.newInstance());
  }

  /** {@code service} unchanged, except that reflection also finds the error detail types through it. */
  public static ServerServiceDefinition withErrorDetails(ServerServiceDefinition service) {
    io.grpc.ServiceDescriptor descriptor = service.getServiceDescriptor();
    if (!(descriptor.getSchemaDescriptor() instanceof ProtoFileDescriptorSupplier supplier)) {
      throw new IllegalArgumentException(descriptor.getName() + " has no proto file descriptor");
    }
    FileDescriptor served = withDependency(supplier.getFileDescriptor(), ErrorDetailsProto.getDescriptor());
    var schema = new ServedSchema(served, descriptor.getName());
    var withSchema = io.grpc.ServiceDescriptor.newBuilder(descriptor.getName()).setSchemaDescriptor(schema);
    for (MethodDescriptor<?, ?> method : descriptor.getMethods()) withSchema.addMethod(method);
    var definition = ServerServiceDefinition.builder(withSchema.build());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) definition.addMethod(method);
    return definition.build();
  }

  private static FileDescriptor withDependency(FileDescriptor file, FileDescriptor extra) {
    if (file.getDependencies().contains(extra)) return file;
    var proto = file.toProto().toBuilder().addDependency(extra.getName()).build();
    FileDescriptor[] dependencies =
        Stream.concat(file.getDependencies().stream(), Stream.of(extra)).toArray(FileDescriptor[]::new);
    try {
      return FileDescriptor.buildFrom(proto, dependencies);
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException("cannot extend " + file.getName() + " for reflection: " + e.getMessage(), e);
    }
  }

  private record ServedSchema(FileDescriptor file, String serviceName)
      implements ProtoFileDescriptorSupplier, ProtoServiceDescriptorSupplier {
    @Override
    public FileDescriptor getFileDescriptor() {
      return file;
    }

    @Override
    public ServiceDescriptor getServiceDescriptor() {
      String simpleName = serviceName.substring(serviceName.lastIndexOf('.') + 1);
      return file.findServiceByName(simpleName);
    }
  }
}
