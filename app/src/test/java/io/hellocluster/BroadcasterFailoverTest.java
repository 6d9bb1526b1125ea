package io.hellocluster;

import static io.hellocluster.Greetings.assertNoSeqReused;
import static io.hellocluster.Greetings.assertStrictlyIncreasing;
import static io.hellocluster.Greetings.ofType;
import static io.hellocluster.Greetings.seq;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
 * The node running the broadcaster singleton crashes: it vanishes without leaving, so only the
 * failure detector and the split brain resolver can take it out. The standby broadcaster must then
 * take over and continue the numbering, and the silence clients notice must stay within what those
 * mechanisms allow ({@link NetworkFaults#failoverBound}).
 */
@ExtendWith(LogCapturingExtension.class)
class BroadcasterFailoverTest {
  private static final Logger MEASURED = LoggerFactory.getLogger("io.hellocluster.measured");
  private static final Duration MAX_DELAY = Duration.ofMillis(300);
  private static final Duration BOUND = NetworkFaults.failoverBound(MAX_DELAY);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestNodes cluster;

  @BeforeAll
  static void startCluster() {
    cluster = NetworkFaults.startCluster(2, 2, MAX_DELAY);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theStandbyTakesOverACrashedBroadcasterAndContinuesTheNumbering() throws Exception {
    TestProbe<ClusterEvent.ClusterDomainEvent> events =
        Membership.seenBy(cluster.node("receiver-1"));
    try (FeedClient one = FeedClient.webSocket(wsUrl("receiver-1"));
        FeedClient two = FeedClient.webSocket(wsUrl("receiver-2"))) {
      List<JsonNode> seen = new ArrayList<>(one.next(5, WAIT));
      String active = seen.get(4).get("broadcaster").asText();
      String standby = active.equals("broadcaster-1") ? "broadcaster-2" : "broadcaster-1";
      TestNodes.Node victim = cluster.node(active);

      NetworkFaults.crash(cluster, victim);
      seen.addAll(Greetings.until(one, BOUND.plus(WAIT), m -> isFrom(m, standby)));
      seen.addAll(one.next(5, WAIT));

      List<JsonNode> greetings = ofType(seen, "greeting");
      JsonNode lastBefore =
          greetings.stream().filter(g -> isFrom(g, active)).reduce((a, b) -> b).orElseThrow();
      JsonNode firstAfter = greetings.stream().filter(g -> isFrom(g, standby)).findFirst().get();
      Duration gap = Duration.between(one.arrivalOf(lastBefore), one.arrivalOf(firstAfter));
      MEASURED.info(
          "Failover after a crash: {} ms without greetings (seq {} by {} -> seq {} by {}),"
              + " bound {} ms",
          gap.toMillis(),
          seq(lastBefore),
          active,
          seq(firstAfter),
          standby,
          BOUND.toMillis());

      assertEquals(
          Set.of(seen.get(0).get("epoch").asText()),
          seen.stream().map(m -> m.get("epoch").asText()).collect(Collectors.toSet()),
          "the numbering must go on in the same epoch: " + seen);
      assertStrictlyIncreasing(greetings);
      assertTrue(seq(firstAfter) > seq(lastBefore));
      // Only a seq that the crashed node saved but could not publish any more may be missing.
      List<JsonNode> gaps = ofType(seen, "gap");
      assertEquals(seen.size(), greetings.size() + gaps.size(), "only greetings and gaps: " + seen);
      gaps.forEach(g -> assertTrue(g.get("missed").asLong() <= 1, g.toString()));
      assertTrue(gap.compareTo(BOUND) < 0, "silence of " + gap + " beyond " + BOUND);

      JsonNode latest = greetings.get(greetings.size() - 1);
      List<JsonNode> fromTwo = Greetings.until(two, WAIT, m -> seq(m) >= seq(latest));
      assertTrue(
          ofType(fromTwo, "greeting").stream().anyMatch(g -> isFrom(g, standby)),
          "the other receiver delivers the new broadcaster's greetings too: " + fromTwo);
      assertNoSeqReused(seen, fromTwo);

      List<TestNodes.Node> survivors = cluster.nodes.stream().filter(n -> n != victim).toList();
      Membership.assertDownedAndRemoved(events, List.of(victim), survivors, WAIT);
      victim.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertFalse(one.closed.isDone());
    }
  }

  private static boolean isFrom(JsonNode message, String broadcaster) {
    return broadcaster.equals(message.path("broadcaster").asText());
  }

  private static String wsUrl(String receiver) {
    return "ws://127.0.0.1:" + cluster.node(receiver).httpPort() + "/feed";
  }
}
