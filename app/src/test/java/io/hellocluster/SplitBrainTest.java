package io.hellocluster;

import static io.hellocluster.Greetings.assertNoSeqReused;
import static io.hellocluster.Greetings.assertStrictlyIncreasing;
import static io.hellocluster.Greetings.ofType;
import static io.hellocluster.Greetings.seq;
import static io.hellocluster.Greetings.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * Five nodes split three against two, with the active broadcaster on the side of two: the case a
 * split brain resolver exists for. The resolver (keep-majority, from application.conf) must down
 * the two, which stop; the three must start their own broadcaster and go on; and no seq may be
 * given to two different greetings, although both sides had a broadcaster for a while.
 */
@ExtendWith(LogCapturingExtension.class)
class SplitBrainTest {
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
  void theMajorityDownsAMinorityHoldingTheBroadcasterAndBroadcastsWithoutReusingASeq()
      throws Exception {
    try (FeedClient one = FeedClient.webSocket(wsUrl("receiver-1"));
        FeedClient two = FeedClient.webSocket(wsUrl("receiver-2"));
        FeedClient three = FeedClient.webSocket(wsUrl("receiver-3"))) {
      List<JsonNode> seenOnMajority = new ArrayList<>(one.next(3, WAIT));
      String active = seenOnMajority.get(2).get("broadcaster").asText();
      String standby = active.equals("broadcaster-1") ? "broadcaster-2" : "broadcaster-1";
      List<TestNodes.Node> minority = List.of(cluster.node(active), cluster.node("receiver-3"));
      List<TestNodes.Node> majority =
          List.of(cluster.node(standby), cluster.node("receiver-1"), cluster.node("receiver-2"));
      TestProbe<ClusterEvent.ClusterDomainEvent> events =
          Membership.seenBy(cluster.node("receiver-1"));
      List<CompletableFuture<Instant>> stopped = Membership.stopTimes(minority);
      three.next(WAIT);

      Instant cut = Instant.now();
      NetworkFaults.partition(minority, majority);
      seenOnMajority.addAll(
          Greetings.until(
              one,
              NetworkFaults.failoverBound(MAX_DELAY).plus(WAIT),
              m -> standby.equals(m.path("broadcaster").asText())));
      Instant resumed = one.arrivalOf(seenOnMajority.get(seenOnMajority.size() - 1));
      Greetings.until(three, WAIT, m -> type(m).equals("bye"));
      // All it ever got: the stranded broadcaster may well have published nothing after the cut.
      List<JsonNode> seenOnMinority = three.arrivals.stream().map(a -> a.message()).toList();
      Instant minorityGone = Instant.MIN;
      for (CompletableFuture<Instant> s : stopped) {
        Instant at = s.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        minorityGone = at.isAfter(minorityGone) ? at : minorityGone;
      }
      seenOnMajority.addAll(one.next(5, WAIT));
      MEASURED.info(
          "Partition 3|2, broadcaster in the minority: minority stopped {} ms after the cut,"
              + " the majority's first greeting came {} ms after it",
          Duration.between(cut, minorityGone).toMillis(),
          Duration.between(cut, resumed).toMillis());

      Membership.assertDownedAndRemoved(events, minority, majority, WAIT);
      List<JsonNode> greetings = ofType(seenOnMajority, "greeting");
      long firstOfStandby =
          greetings.stream()
              .filter(g -> standby.equals(g.get("broadcaster").asText()))
              .findFirst()
              .orElseThrow()
              .get("seq")
              .asLong();
      // The successor continues after everything the stranded broadcaster ever published.
      ofType(seenOnMinority, "greeting")
          .forEach(g -> assertTrue(seq(g) < firstOfStandby, "published in the minority: " + g));
      assertStrictlyIncreasing(greetings);
      assertEquals(1, greetings.stream().map(g -> g.get("epoch").asText()).distinct().count());
      long latest = seq(greetings.get(greetings.size() - 1));
      List<JsonNode> seenOnTwo = Greetings.until(two, WAIT, m -> seq(m) >= latest);
      assertNoSeqReused(seenOnMajority, seenOnTwo, seenOnMinority);
      assertTrue(three.closed.isDone(), "the downed receiver closed its feed after the bye");

      // The downed receiver's client resumes on the majority and misses nothing.
      List<JsonNode> lastOnMinority = ofType(seenOnMinority, "greeting");
      JsonNode last = lastOnMinority.get(lastOnMinority.size() - 1);
      String since = "?since=" + last.get("epoch").asText() + ":" + seq(last);
      try (FeedClient moved = FeedClient.webSocket(wsUrl("receiver-1") + since)) {
        List<JsonNode> after = moved.next(3, WAIT);
        Greetings.assertConsecutive(after);
        assertEquals(seq(last) + 1, seq(after.get(0)), after.toString());
        assertNoSeqReused(seenOnMajority, seenOnMinority, after);
      }
      assertFalse(one.closed.isDone());
    }
  }

  private static String wsUrl(String receiver) {
    return "ws://127.0.0.1:" + cluster.node(receiver).httpPort() + "/feed";
  }
}
