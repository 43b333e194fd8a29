package flashsale.store.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A {@code redis:7-alpine} container (Testcontainers). Its host port is bound explicitly, not
 * left to Docker, so a killed and restarted container answers on the same port and replays the
 * append-only file it kept in its own /data.
 */
final class RedisContainer implements RedisServer.Backend {
  private static final int REDIS_PORT = 6379;
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

  private final GenericContainer<?> container;
  private final int hostPort;

  private RedisContainer(boolean appendOnly) {
    this.hostPort = RedisProcess.freePort();
    List<String> command = new ArrayList<>(List.of("redis-server", "--dir", "/data"));
    command.addAll(RedisProcess.persistenceArgs(appendOnly));
    this.container =
        new GenericContainer<>(DockerImageName.parse("redis:7-alpine"))
            .withExposedPorts(REDIS_PORT)
            .withCommand(command.toArray(String[]::new))
            .withCreateContainerCmdModifier(
                create -> create.getHostConfig().withPortBindings(
                    new PortBinding(Ports.Binding.bindPort(hostPort), ExposedPort.tcp(REDIS_PORT))));
  }

  static RedisContainer start(boolean appendOnly) {
    RedisContainer server = new RedisContainer(appendOnly);
    server.container.start();
    server.awaitPong();
    return server;
  }

  @Override
  public String host() {
    return container.getHost();
  }

  @Override
  public int port() {
    return hostPort;
  }

  @Override
  public void stop() {
    if (isRunning()) docker().stopContainerCmd(container.getContainerId()).withTimeout(10).exec();
  }

  @Override
  public void kill() {
    if (isRunning()) docker().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
  }

  @Override
  public void restart() {
    stop();
    docker().startContainerCmd(container.getContainerId()).exec();
    awaitPong();
  }

  @Override
  public void close() {
    container.stop();
  }

  private boolean isRunning() {
    Boolean running = docker().inspectContainerCmd(container.getContainerId()).exec().getState().getRunning();
    return Boolean.TRUE.equals(running);
  }

  private void awaitPong() {
    RespProbe.awaitPong(host(), hostPort, STARTUP_TIMEOUT, () -> {
      if (!isRunning()) throw new IllegalStateException("redis container exited; logs:\n" + container.getLogs());
    });
  }

  private DockerClient docker() {
    return container.getDockerClient();
  }
}
