package io.hellocluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import scala.jdk.javaapi.FutureConverters;

/**
 * Network faults between the in-JVM nodes of {@link TestNodes}, made with Artery's test transport:
 * a blackhole drops every message between two nodes, in both directions and on both ends, while the
 * TCP connections stay up. To the other nodes this looks exactly like a cut cable or a frozen host:
 * nothing arrives, not even a goodbye, and only the failure detector notices.
 *
 * <p>Every node must be started with {@link #NODE_CONFIG}; without it the transport has no test
 * stage and blackholes silently do nothing.
 */
final class NetworkFaults {
  /**
   * The split brain resolver's stable-after in fault tests: shorter than production's 7 s so that
   * each test stays short; the bounds below scale with it.
   */
  static final Duration STABLE_AFTER = Duration.ofSeconds(3);

  /**
   * What every node of a fault test runs with: Artery's test stage in every stream, so that
   * blackholes can drop messages, and the shorter stable-after. The failure detector keeps Pekko's
   * defaults, so failure detection takes as long as in production.
   */
  static final String NODE_CONFIG =
      String.join(
          "\n",
          "pekko.remote.artery.advanced.test-mode = on",
          "pekko.cluster.split-brain-resolver.stable-after = " + STABLE_AFTER.toMillis() + "ms");

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

  /** Scala's {@code Direction.Both} object: javac cannot name an object nested in a companion. */
  private static final ThrottlerTransportAdapter.Direction BOTH_WAYS = bothWays();

  private NetworkFaults() {}

  /**
   * Starts {@code broadcasters} broadcaster-role and {@code receivers} receiver-role nodes, all
   * with {@link #NODE_CONFIG}, greeting every 100 ms to {@code maxDelay}.
   */
  static TestNodes startCluster(int broadcasters, int receivers, Duration maxDelay) {
    List<TestNodes.Spec> specs = new ArrayList<>();
    for (int i = 1; i <= broadcasters; i++) {
      specs.add(new TestNodes.Spec("broadcaster-" + i, "broadcaster", NODE_CONFIG));
    }
    for (int i = 1; i <= receivers; i++) {
      specs.add(new TestNodes.Spec("receiver-" + i, "receiver", NODE_CONFIG));
    }
    return TestNodes.start(
        "100ms", maxDelay.toMillis() + "ms", specs.toArray(TestNodes.Spec[]::new));
  }

  /**
   * The longest a cluster may go without greetings when the broadcaster's node is lost without
   * leaving, with Pekko's defaults for everything but stable-after. Failure detection: heartbeats
   * every 1 s, 3 s acceptable pause, phi's margin over it (about 1 s) and the 1 s unreachable
   * reaper. The resolver then waits stable-after and acts on its next 1 s tick; the leader removes
   * the downed member within two 1 s leader-action ticks; the singleton starts a removal margin
   * later (stable-after again: the resolver's down-removal-margin, so that a minority has downed
   * itself first). The new broadcaster reads the sequence in milliseconds and waits one drawn
   * delay; the last greeting before the loss came up to one delay before it. Two seconds cover a
   * loaded two-core machine.
   */
  static Duration failoverBound(Duration maxDelay) {
    Duration detection = Duration.ofSeconds(1 + 3 + 1 + 1);
    Duration resolver = STABLE_AFTER.plusSeconds(1);
    Duration removal = Duration.ofSeconds(2);
    Duration removalMargin = STABLE_AFTER;
    return detection
        .plus(resolver)
        .plus(removal)
        .plus(removalMargin)
        .plus(maxDelay.multipliedBy(2))
        .plusSeconds(2);
  }

  /** Cuts every node of {@code one} off from every node of {@code other}, both ways. */
  static void partition(List<TestNodes.Node> one, List<TestNodes.Node> other) {
    for (TestNodes.Node a : one) {
      for (TestNodes.Node b : other) {
        blackhole(a, b);
        blackhole(b, a);
      }
    }
  }

  /**
   * Crashes a node as the others see it: cuts it off from all of them first, so that neither its
   * cluster leave nor Artery's termination notice gets out, then stops its ActorSystem.
   */
  static void crash(TestNodes cluster, TestNodes.Node victim) {
    List<TestNodes.Node> others = cluster.nodes.stream().filter(n -> n != victim).toList();
    partition(List.of(victim), others);
    victim.system().terminate();
  }

  private static ThrottlerTransportAdapter.Direction bothWays() {
    try {
      return (ThrottlerTransportAdapter.Direction)
          Class.forName(ThrottlerTransportAdapter.class.getName() + "$Direction$Both$")
              .getField("MODULE$")
              .get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Drops everything between {@code at} and {@code peer}, as seen from {@code at}'s transport. */
  private static void blackhole(TestNodes.Node at, TestNodes.Node peer) {
    Address peerAddress = Cluster.get(peer.system()).selfMember().address();
    ThrottlerTransportAdapter.SetThrottle command =
        new ThrottlerTransportAdapter.SetThrottle(
            peerAddress, BOTH_WAYS, ThrottlerTransportAdapter.Blackhole$.MODULE$);
    RARP remoting = (RARP) RARP.get(at.system().classicSystem());
    try {
      Object applied =
          FutureConverters.asJava(remoting.provider().transport().managementCommand(command))
              .toCompletableFuture()
              .get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (!Boolean.TRUE.equals(applied)) {
        throw new AssertionError("transport of " + at.name() + " refused the blackhole");
      }
    } catch (Exception e) {
      throw new AssertionError("cannot blackhole " + at.name() + " -> " + peer.name(), e);
    }
  }
}
