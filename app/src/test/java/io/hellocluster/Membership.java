package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/** How the fault tests watch cluster membership: what the survivors saw happen to whom. */
final class Membership {
  private Membership() {}

  /** Subscribes a probe to every membership and reachability change that {@code node} sees. */
  static TestProbe<ClusterEvent.ClusterDomainEvent> seenBy(TestNodes.Node node) {
    TestProbe<ClusterEvent.ClusterDomainEvent> events = TestProbe.create(node.system());
    Cluster.get(node.system())
        .subscriptions()
        .tell(Subscribe.create(events.ref(), ClusterEvent.ClusterDomainEvent.class));
    return events;
  }

  static UniqueAddress address(TestNodes.Node node) {
    return Cluster.get(node.system()).selfMember().uniqueAddress();
  }

  /** Completes with the moment each node's ActorSystem has terminated. */
  static List<CompletableFuture<Instant>> stopTimes(List<TestNodes.Node> nodes) {
    return nodes.stream()
        .map(
            n -> n.system().getWhenTerminated().toCompletableFuture().thenApply(d -> Instant.now()))
        .toList();
  }

  /**
   * Waits until every one of {@code members} is removed, as the subscribed {@code events} tell it,
   * and returns what happened to each on the way: "unreachable", "downed", "left", "exited", then
   * "removed after down" or "removed after exit".
   */
  static Map<UniqueAddress, List<String>> fatesOf(
      TestProbe<ClusterEvent.ClusterDomainEvent> events,
      Set<UniqueAddress> members,
      Duration each) {
    Map<UniqueAddress, List<String>> fates = new HashMap<>();
    members.forEach(m -> fates.put(m, new ArrayList<>()));
    Set<UniqueAddress> remaining = new HashSet<>(members);
    while (!remaining.isEmpty()) {
      ClusterEvent.ClusterDomainEvent event = events.receiveMessage(each);
      if (event instanceof ClusterEvent.UnreachableMember u) {
        note(fates, u.member(), "unreachable");
      } else if (event instanceof ClusterEvent.MemberDowned d) {
        note(fates, d.member(), "downed");
      } else if (event instanceof ClusterEvent.MemberLeft l) {
        note(fates, l.member(), "left");
      } else if (event instanceof ClusterEvent.MemberExited x) {
        note(fates, x.member(), "exited");
      } else if (event instanceof ClusterEvent.MemberRemoved r) {
        boolean downed = r.previousStatus() == MemberStatus.down();
        note(fates, r.member(), downed ? "removed after down" : "removed after exit");
        remaining.remove(r.member().uniqueAddress());
      }
    }
    return fates;
  }

  /**
   * Asserts that the survivors found each of {@code gone} unreachable, downed and removed it (never
   * a leave: a crashed or cut-off node says nothing), and now see only each other, all Up.
   */
  static void assertDownedAndRemoved(
      TestProbe<ClusterEvent.ClusterDomainEvent> events,
      List<TestNodes.Node> gone,
      List<TestNodes.Node> survivors,
      Duration each) {
    Set<UniqueAddress> downed = gone.stream().map(Membership::address).collect(Collectors.toSet());
    Map<UniqueAddress, List<String>> fates = fatesOf(events, downed, each);
    for (TestNodes.Node n : gone) {
      assertEquals(
          List.of("unreachable", "downed", "removed after down"),
          fates.get(address(n)),
          "what the survivors saw of " + n.name());
    }
    Set<UniqueAddress> expected =
        survivors.stream().map(Membership::address).collect(Collectors.toSet());
    for (TestNodes.Node n : survivors) {
      Set<UniqueAddress> up = new HashSet<>();
      for (Member m : Cluster.get(n.system()).state().getMembers()) {
        up.add(m.status() == MemberStatus.up() ? m.uniqueAddress() : null);
      }
      assertEquals(expected, up, n.name() + " sees " + Cluster.get(n.system()).state());
    }
  }

  private static void note(Map<UniqueAddress, List<String>> fates, Member m, String what) {
    List<String> fate = fates.get(m.uniqueAddress());
    if (fate != null) {
      fate.add(what);
    }
  }
}
