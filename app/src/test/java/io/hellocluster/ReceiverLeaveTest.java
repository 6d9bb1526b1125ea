package io.hellocluster;

import static io.hellocluster.Greetings.assertNoSeqReused;
import static io.hellocluster.Greetings.ofType;
import static io.hellocluster.Greetings.seq;
import static io.hellocluster.Greetings.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A receiver leaves the cluster gracefully, as in a scale-down: its clients are told "bye", move to
 * another receiver saying where they left off, and miss nothing and see nothing twice.
 */
@ExtendWith(LogCapturingExtension.class)
class ReceiverLeaveTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestNodes cluster;

  @BeforeAll
  static void startCluster() {
    cluster =
        TestNodes.start(
            "100ms",
            "200ms",
            new TestNodes.Spec("broadcaster-1", "broadcaster"),
            new TestNodes.Spec("receiver-1", "receiver"),
            new TestNodes.Spec("receiver-2", "receiver"));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void clientsOfALeavingReceiverResumeOnAnotherWithoutGapsOrDuplicates() throws Exception {
    TestNodes.Node leaving = cluster.node("receiver-1");
    TestNodes.Node staying = cluster.node("receiver-2");
    TestProbe<ClusterEvent.ClusterDomainEvent> events = Membership.seenBy(staying);
    UniqueAddress leavingAddress = Membership.address(leaving);
    try (FeedClient reference = FeedClient.webSocket(wsUrl(staying, ""));
        FeedClient ws1 = FeedClient.webSocket(wsUrl(leaving, ""));
        FeedClient ws2 = FeedClient.webSocket(wsUrl(leaving, ""));
        FeedClient sse = FeedClient.serverSentEvents(leaving.httpBase() + "/events")) {
      List<JsonNode> seenByReference = new ArrayList<>(reference.next(3, WAIT));
      for (FeedClient c : List.of(ws1, ws2, sse)) {
        c.next(3, WAIT);
      }

      Cluster.get(leaving.system()).manager().tell(Leave.create(leavingAddress.address()));
      // Each client reconnects when told "bye", saying the last greeting it saw, as the page does.
      Map<FeedClient, Function<String, FeedClient>> resumers = new LinkedHashMap<>();
      resumers.put(ws1, since -> FeedClient.webSocket(wsUrl(staying, "?since=" + since)));
      resumers.put(ws2, since -> FeedClient.webSocket(wsUrl(staying, "?since=" + since)));
      resumers.put(sse, since -> FeedClient.serverSentEvents(lastEventId(staying, since)));
      List<List<JsonNode>> before = new ArrayList<>();
      List<FeedClient> moved = new ArrayList<>();
      for (Map.Entry<FeedClient, Function<String, FeedClient>> r : resumers.entrySet()) {
        Greetings.until(r.getKey(), WAIT, m -> type(m).equals("bye"));
        List<JsonNode> received = r.getKey().arrivals.stream().map(a -> a.message()).toList();
        before.add(received);
        JsonNode last = lastGreeting(received);
        moved.add(r.getValue().apply(last.get("epoch").asText() + ":" + seq(last)));
      }

      assertEquals(1000, ws1.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(1000, ws2.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(-1, sse.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(1000L, sse.retryByType.get("bye"), "the SSE bye says when to reconnect");
      try {
        for (int i = 0; i < moved.size(); i++) {
          long resumedAfter = seq(lastGreeting(before.get(i)));
          List<JsonNode> after = moved.get(i).next(10, WAIT);
          Greetings.assertConsecutive(after);
          assertEquals(resumedAfter + 1, seq(after.get(0)), "client " + i + ": " + after);
          seenByReference.addAll(
              Greetings.until(reference, WAIT, m -> seq(m) >= seq(after.get(9))));
          assertNoSeqReused(seenByReference, before.get(i), after);
        }
      } finally {
        for (FeedClient c : moved) {
          c.close();
        }
      }

      Map<UniqueAddress, List<String>> fate =
          Membership.fatesOf(events, Set.of(leavingAddress), WAIT);
      assertEquals(List.of("left", "exited", "removed after exit"), fate.get(leavingAddress));
      leaving.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertFalse(reference.closed.isDone());
    }
  }

  private static HttpRequest lastEventId(TestNodes.Node node, String since) {
    return HttpRequest.newBuilder(URI.create(node.httpBase() + "/events"))
        .header("Last-Event-ID", since)
        .build();
  }

  private static JsonNode lastGreeting(List<JsonNode> messages) {
    List<JsonNode> greetings = ofType(messages, "greeting");
    return greetings.get(greetings.size() - 1);
  }

  private static String wsUrl(TestNodes.Node node, String query) {
    return "ws://127.0.0.1:" + node.httpPort() + "/feed" + query;
  }
}
