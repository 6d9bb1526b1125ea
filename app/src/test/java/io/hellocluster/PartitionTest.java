package io.hellocluster;

import static io.hellocluster.Greetings.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.ClusterEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Five nodes split three against two, with the active broadcaster among the three. The split brain
 * resolver (keep-majority, from application.conf) must down the two, which stop, while the three
 * keep broadcasting throughout: one numbering, no gap, no change of broadcaster.
 */
@ExtendWith(LogCapturingExtension.class)
class PartitionTest {
  private static final Logger MEASURED = LoggerFactory.getLogger("io.hellocluster.measured");
  private static final Duration MAX_DELAY = Duration.ofMillis(300);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestNodes cluster;

  @BeforeAll
  static void startCluster() {
    cluster = NetworkFaults.startCluster(2, 3, MAX_DELAY);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theMajorityKeepsBroadcastingWithoutAPauseWhileItDownsTheMinority() throws Exception {
    try (FeedClient one = FeedClient.webSocket(wsUrl("receiver-1"));
        FeedClient three = FeedClient.webSocket(wsUrl("receiver-3"))) {
      List<JsonNode> seen = new ArrayList<>(one.next(3, WAIT));
      String active = seen.get(2).get("broadcaster").asText();
      String standby = active.equals("broadcaster-1") ? "broadcaster-2" : "broadcaster-1";
      List<TestNodes.Node> minority = List.of(cluster.node(standby), cluster.node("receiver-3"));
      List<TestNodes.Node> majority =
          List.of(cluster.node(active), cluster.node("receiver-1"), cluster.node("receiver-2"));
      TestProbe<ClusterEvent.ClusterDomainEvent> events =
          Membership.seenBy(cluster.node("receiver-1"));
      List<CompletableFuture<Instant>> stopped = Membership.stopTimes(minority);
      three.next(WAIT);

      Instant cut = Instant.now();
      NetworkFaults.partition(minority, majority);
      Greetings.until(three, NetworkFaults.failoverBound(MAX_DELAY), m -> type(m).equals("bye"));
      Instant minorityGone = Instant.MIN;
      for (CompletableFuture<Instant> s : stopped) {
        Instant at = s.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        minorityGone = at.isAfter(minorityGone) ? at : minorityGone;
      }
      one.messages.drainTo(seen);
      seen.addAll(one.next(5, WAIT));
      List<JsonNode> during = seen.stream().filter(m -> one.arrivalOf(m).isAfter(cut)).toList();
      MEASURED.info(
          "Partition 3|2, broadcaster in the majority: minority stopped {} ms after the cut;"
              + " meanwhile {} greetings, longest pause {} ms",
          Duration.between(cut, minorityGone).toMillis(),
          during.size(),
          longestPause(one, seen).toMillis());

      Membership.assertDownedAndRemoved(events, minority, majority, WAIT);
      Greetings.assertConsecutive(seen);
      assertEquals(
          Set.of(active),
          seen.stream().map(g -> g.get("broadcaster").asText()).collect(Collectors.toSet()));
      // A save waits at most for its secondary replicas (timeout / 5) before it succeeds; a
      // pause as long as the store's 3 s timeout would mean the broadcaster lost its majority.
      Duration pause = longestPause(one, seen);
      assertTrue(pause.compareTo(Duration.ofSeconds(3)) < 0, "greetings paused for " + pause);
      assertTrue(during.size() > 10, during.size() + " greetings while the minority was downed");
      assertFalse(one.closed.isDone());
    }
  }

  private static Duration longestPause(FeedClient client, List<JsonNode> messages) {
    Duration longest = Duration.ZERO;
    for (int i = 1; i < messages.size(); i++) {
      Duration pause =
          Duration.between(
              client.arrivalOf(messages.get(i - 1)), client.arrivalOf(messages.get(i)));
      longest = pause.compareTo(longest) > 0 ? pause : longest;
    }
    return longest;
  }

  private static String wsUrl(String receiver) {
    return "ws://127.0.0.1:" + cluster.node(receiver).httpPort() + "/feed";
  }
}
