package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Four real nodes in one JVM: two with the broadcaster role (one active singleton, one standby) and
 * two receivers, observed only through the receivers' HTTP feeds, as clients see them.
 */
@ExtendWith(LogCapturingExtension.class)
class ClusterFeedTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestNodes cluster;

  @BeforeAll
  static void startCluster() {
    cluster =
        TestNodes.start(
            "150ms",
            "300ms",
            new TestNodes.Spec("broadcaster-1", "broadcaster"),
            new TestNodes.Spec("broadcaster-2", "broadcaster"),
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
  void bothReceiversDeliverTheSameGreetingsInTheSameOrderWithoutDuplicates() throws Exception {
    try (FeedClient one = FeedClient.webSocket(wsUrl("receiver-1"));
        FeedClient two = FeedClient.webSocket(wsUrl("receiver-2"))) {
      List<JsonNode> fromOne = one.next(15, WAIT);
      List<JsonNode> fromTwo = two.next(15, WAIT);

      assertConsecutive(fromOne);
      assertConsecutive(fromTwo);
      // The clients connected at slightly different moments: compare where both listened.
      long first = Math.max(seq(fromOne.get(0)), seq(fromTwo.get(0)));
      long last = Math.min(seq(fromOne.get(14)), seq(fromTwo.get(14)));
      assertTrue(last - first >= 10, "overlap too short: " + first + ".." + last);
      assertEquals(between(fromOne, first, last), between(fromTwo, first, last));
      assertEquals(Set.of("receiver-1"), field(fromOne, "receiver"));
      assertEquals(Set.of("receiver-2"), field(fromTwo, "receiver"));
    }
  }

  @Test
  void onlyOneOfTwoBroadcasterNodesBroadcasts() throws Exception {
    try (FeedClient client = FeedClient.webSocket(wsUrl("receiver-1"))) {
      List<JsonNode> greetings = client.next(20, WAIT);
      Set<String> broadcasters = field(greetings, "broadcaster");
      assertEquals(1, broadcasters.size(), "greetings from " + broadcasters);
      assertTrue(Set.of("broadcaster-1", "broadcaster-2").containsAll(broadcasters));
      // Two broadcasters would interleave two numberings; one numbering has no gaps.
      assertConsecutive(greetings);
      assertEquals(1, field(greetings, "epoch").size());
    }
  }

  @Test
  void webSocketMessagesAreWellFormedGreetings() throws Exception {
    try (FeedClient client = FeedClient.webSocket(wsUrl("receiver-2"))) {
      JsonNode greeting = client.next(WAIT);
      assertEquals("greeting", greeting.get("type").asText());
      assertEquals("Hello world", greeting.get("text").asText());
      assertTrue(greeting.get("seq").asLong() > 0);
      assertTrue(greeting.get("epoch").asText().length() > 0);
      long delay = greeting.get("delayMillis").asLong();
      assertTrue(delay >= 150 && delay <= 300, "delay " + delay);
      Instant sentAt = Instant.parse(greeting.get("sentAt").asText());
      assertTrue(Duration.between(sentAt, Instant.now()).abs().compareTo(WAIT) < 0);
      assertEquals("receiver-2", greeting.get("receiver").asText());
    }
  }

  @Test
  void serverSentEventsCarryTheSameGreetings() throws Exception {
    String url = cluster.node("receiver-1").httpBase() + "/events";
    try (FeedClient sse = FeedClient.serverSentEvents(url)) {
      List<JsonNode> greetings = sse.next(3, WAIT);
      assertConsecutive(greetings);
      assertEquals(Set.of("Hello world"), field(greetings, "text"));
      assertEquals(Set.of("greeting"), field(greetings, "type"));
    }
  }

  @Test
  void thePageAndItsScriptAreServedWithoutAnythingFromOutside() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String base = cluster.node("receiver-1").httpBase();
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.body().contains("/static/app.js"));
    assertTrue(
        !page.body().contains("http://") && !page.body().contains("https://"),
        "the page must not load anything from another host");
    HttpResponse<String> script =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/static/app.js")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, script.statusCode());
    assertTrue(script.body().contains("new WebSocket"));
  }

  private static String wsUrl(String receiver) {
    return "ws://127.0.0.1:" + cluster.node(receiver).httpPort() + "/feed";
  }

  private static long seq(JsonNode greeting) {
    return greeting.get("seq").asLong();
  }

  private static void assertConsecutive(List<JsonNode> greetings) {
    for (int i = 1; i < greetings.size(); i++) {
      assertEquals(
          seq(greetings.get(i - 1)) + 1,
          seq(greetings.get(i)),
          "not consecutive at " + i + ": " + greetings);
    }
  }

  private static List<String> between(List<JsonNode> greetings, long first, long last) {
    return greetings.stream()
        .filter(g -> seq(g) >= first && seq(g) <= last)
        .map(g -> g.get("epoch").asText() + "/" + seq(g) + "/" + g.get("sentAt").asText())
        .toList();
  }

  private static Set<String> field(List<JsonNode> greetings, String name) {
    return greetings.stream()
        .map(g -> g.get(name).asText())
        .collect(Collectors.toCollection(HashSet::new));
  }
}
