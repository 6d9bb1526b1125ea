package io.hellocluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A real cluster of several nodes in this JVM, each an ActorSystem on its own loopback ports,
 * formed exactly as in production: Pekko Management cluster bootstrap with config discovery.
 */
final class TestNodes implements AutoCloseable {
  private static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(60);

  /** One node to start: its name, roles and any extra HOCON settings of its own. */
  record Spec(String name, String roles, String extraConfig) {
    Spec(String name, String roles) {
      this(name, roles, "");
    }
  }

  /** A started node and the ports it listens on. */
  record Node(String name, ActorSystem<Void> system, int httpPort, int managementPort) {
    String httpBase() {
      return "http://127.0.0.1:" + httpPort;
    }
  }

  final List<Node> nodes = new ArrayList<>();

  private TestNodes() {}

  /** Starts the nodes with greetings drawn from [minDelay, maxDelay] and waits until all are Up. */
  static TestNodes start(String minDelay, String maxDelay, Spec... specs) {
    TestNodes cluster = new TestNodes();
    List<int[]> ports = new ArrayList<>();
    for (int i = 0; i < specs.length; i++) {
      ports.add(new int[] {freePort(), freePort(), freePort()});
    }
    String contactPoints =
        ports.stream().map(p -> "127.0.0.1:" + p[1]).collect(Collectors.joining(","));
    String service = "hello-test-" + Long.toHexString(System.nanoTime());
    try {
      for (int i = 0; i < specs.length; i++) {
        int[] p = ports.get(i);
        Config overrides =
            ConfigFactory.parseString(specs[i].extraConfig())
                .withFallback(
                    ConfigFactory.parseString(
                        String.join(
                            "\n",
                            "hello-cluster.hostname = \"127.0.0.1\"",
                            "hello-cluster.roles = \"" + specs[i].roles() + "\"",
                            "hello-cluster.node-name = \"" + specs[i].name() + "\"",
                            "hello-cluster.contact-points = \"" + contactPoints + "\"",
                            "hello-cluster.broadcaster.min-delay = " + minDelay,
                            "hello-cluster.broadcaster.max-delay = " + maxDelay,
                            "hello-cluster.http.port = " + p[2],
                            "pekko.remote.artery.canonical.port = " + p[0],
                            "pekko.management.http.port = " + p[1],
                            "pekko.management.cluster.bootstrap.contact-point-discovery {",
                            "  service-name = \"" + service + "\"",
                            "  discovery-method = config",
                            "  required-contact-point-nr = " + specs.length,
                            "  stable-margin = 1s",
                            "}",
                            "hello-cluster.shutdown.drain-delay = 0s",
                            // The test JVM outlives its clusters.
                            "pekko.coordinated-shutdown.exit-jvm = off",
                            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on")));
        ActorSystem<Void> system = HelloNode.start(HelloNode.load(overrides));
        cluster.nodes.add(new Node(specs[i].name(), system, p[2], p[1]));
      }
      cluster.awaitAllUp();
      cluster.awaitReceiversSubscribed(specs);
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  Node node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  private void awaitAllUp() {
    Instant deadline = Instant.now().plus(FORMATION_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      boolean allUp =
          nodes.stream()
              .allMatch(
                  n -> {
                    var members = Cluster.get(n.system()).state().getMembers();
                    int up = 0;
                    for (var m : members) {
                      up += m.status() == MemberStatus.up() ? 1 : 0;
                    }
                    return up == nodes.size();
                  });
      if (allUp) {
        return;
      }
      sleep(Duration.ofMillis(200));
    }
    throw new AssertionError(
        "cluster of " + nodes.size() + " did not form in " + FORMATION_TIMEOUT);
  }

  /**
   * Subscriptions reach the broadcaster's topic through the receptionist some time after the
   * cluster formed, and greetings published before that are lost to the late receiver, so tests
   * that compare receivers start only once every broadcaster-role node knows every receiver's topic
   * instance.
   */
  private void awaitReceiversSubscribed(Spec... specs) {
    long receivers = Arrays.stream(specs).filter(s -> s.roles().contains("receiver")).count();
    Instant deadline = Instant.now().plus(FORMATION_TIMEOUT);
    for (Spec spec : specs) {
      if (!spec.roles().contains("broadcaster")) {
        continue;
      }
      ActorSystem<Void> system = node(spec.name()).system();
      while (topicInstances(system) < receivers) {
        if (Instant.now().isAfter(deadline)) {
          throw new AssertionError(
              spec.name() + " did not see " + receivers + " subscribed receivers in time");
        }
        sleep(Duration.ofMillis(100));
      }
    }
  }

  private static int topicInstances(ActorSystem<Void> system) {
    Duration timeout = Duration.ofSeconds(3);
    try {
      ActorRef<Topic.Command<Greeting>> topic =
          Adapter.toTyped(
              system
                  .classicSystem()
                  .actorSelection("/user/greetings-topic")
                  .resolveOne(timeout)
                  .toCompletableFuture()
                  .get(timeout.toMillis(), TimeUnit.MILLISECONDS));
      return AskPattern.<Topic.Command<Greeting>, Topic.TopicStats>ask(
              topic, Topic::getTopicStats, timeout, system.scheduler())
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .topicInstanceCount();
    } catch (Exception e) {
      throw new AssertionError("cannot read the greetings topic's stats", e);
    }
  }

  @Override
  public void close() {
    nodes.forEach(n -> n.system().terminate());
    for (Node n : nodes) {
      try {
        n.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("node " + n.name() + " did not terminate in 30 s", e);
      }
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
