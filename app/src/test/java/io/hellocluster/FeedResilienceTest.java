package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resuming after reconnects, and every kind of bad input, against a real three-node cluster: each
 * bad request gets a clear 4xx or a goodbye, and the other clients notice nothing.
 */
@ExtendWith(LogCapturingExtension.class)
class FeedResilienceTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int HISTORY_SIZE = 20;
  private static final int CAPPED_RECEIVER_MAX = 3;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static TestNodes cluster;

  @BeforeAll
  static void startCluster() {
    String history = "hello-cluster.feed.history-size = " + HISTORY_SIZE;
    cluster =
        TestNodes.start(
            "100ms",
            "200ms",
            new TestNodes.Spec("broadcaster-1", "broadcaster"),
            new TestNodes.Spec("receiver-1", "receiver", history),
            new TestNodes.Spec(
                "receiver-2",
                "receiver",
                history + "\nhello-cluster.feed.max-connections = " + CAPPED_RECEIVER_MAX));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientResumesOnAnotherReceiverWithoutGapsOrDuplicates() throws Exception {
    JsonNode last;
    try (FeedClient first = FeedClient.webSocket(feed("receiver-1", ""))) {
      last = first.next(5, WAIT).get(4);
    }
    // Greetings go on while the client is away; the other receiver's history has them.
    TestNodes.sleep(Duration.ofSeconds(1));
    try (FeedClient second = FeedClient.webSocket(feed("receiver-2", since(last)))) {
      List<JsonNode> resumed = second.next(15, WAIT);
      assertEquals(seq(last) + 1, seq(resumed.get(0)), "first after resuming: " + resumed.get(0));
      assertConsecutiveGreetings(resumed);
      assertEquals(last.get("epoch").asText(), resumed.get(14).get("epoch").asText());
    }
  }

  @Test
  void serverSentEventsResumeFromLastEventId() throws Exception {
    JsonNode last;
    try (FeedClient first =
        FeedClient.serverSentEvents(cluster.node("receiver-1").httpBase() + "/events")) {
      last = first.next(3, WAIT).get(2);
    }
    TestNodes.sleep(Duration.ofMillis(800));
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(cluster.node("receiver-2").httpBase() + "/events"))
            .header("Last-Event-ID", last.get("epoch").asText() + ":" + seq(last))
            .build();
    try (FeedClient resumed = FeedClient.serverSentEvents(request)) {
      List<JsonNode> greetings = resumed.next(6, WAIT);
      assertEquals(seq(last) + 1, seq(greetings.get(0)));
      assertConsecutiveGreetings(greetings);
    }
  }

  @Test
  void aClientTooFarBehindIsToldHowManyItMissed() throws Exception {
    JsonNode now;
    try (FeedClient probe = FeedClient.webSocket(feed("receiver-1", ""))) {
      now = probe.next(WAIT);
    }
    long sinceSeq = Math.max(0, seq(now) - 3L * HISTORY_SIZE);
    String since = "?since=" + now.get("epoch").asText() + ":" + sinceSeq;
    try (FeedClient late = FeedClient.webSocket(feed("receiver-1", since))) {
      JsonNode gap = late.next(WAIT);
      assertEquals("gap", gap.get("type").asText(), gap.toString());
      assertEquals(sinceSeq, gap.get("afterSeq").asLong());
      JsonNode firstKept = late.next(WAIT);
      assertEquals(seq(firstKept) - sinceSeq - 1, gap.get("missed").asLong());
      assertTrue(gap.get("missed").asLong() >= 2L * HISTORY_SIZE - 1, gap.toString());
      List<JsonNode> rest = late.next(HISTORY_SIZE, WAIT);
      assertEquals(seq(firstKept) + 1, seq(rest.get(0)));
      assertConsecutiveGreetings(rest);
    }
  }

  @Test
  void aClientFromAnEarlierEpochIsToldTheNumberingRestarted() throws Exception {
    try (FeedClient client = FeedClient.webSocket(feed("receiver-2", "?since=0badcafe:41"))) {
      JsonNode reset = client.next(WAIT);
      assertEquals("reset", reset.get("type").asText(), reset.toString());
      assertEquals("0badcafe", reset.get("previousEpoch").asText());
      JsonNode greeting = client.next(WAIT);
      assertEquals(reset.get("epoch").asText(), greeting.get("epoch").asText());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "yesterday",
        "0badcafe",
        "0badcafe:-1",
        "-5",
        "0BADCAFE:1",
        "0badcafe:12345678901234567",
        "0badcafe:9007199254740992"
      })
  void malformedNegativeOrHugeResumePointsAreRefused(String since) throws Exception {
    String query = "?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8);
    assertEquals(400, handshakeStatus(feed("receiver-1", query), Map.of()));
    HttpResponse<String> sse =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(cluster.node("receiver-1").httpBase() + "/events"))
                .header("Last-Event-ID", since)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, sse.statusCode());
    assertTrue(sse.body().startsWith("Invalid resume point: "), sse.body());
  }

  @Test
  void connectionsBeyondTheCapAreRefusedAndTheOthersKeepGoing() throws Exception {
    List<FeedClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < CAPPED_RECEIVER_MAX; i++) {
        open.add(FeedClient.webSocket(feed("receiver-2", "")));
      }
      for (FeedClient c : open) {
        c.next(WAIT);
      }
      assertEquals(503, handshakeStatus(feed("receiver-2", ""), Map.of()));
      HttpResponse<String> sse =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(cluster.node("receiver-2").httpBase() + "/events"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(503, sse.statusCode());
      assertEquals("5", sse.headers().firstValue("Retry-After").orElse(""));
      for (FeedClient c : open) {
        assertConsecutiveGreetings(c.next(3, WAIT));
        assertFalse(c.closed.isDone());
      }
      open.remove(0).close();
      awaitAccepted(feed("receiver-2", ""));
    } finally {
      for (FeedClient c : open) {
        c.close();
      }
    }
  }

  @Test
  void webSocketsFromOtherOriginsAreRefused() throws Exception {
    String url = feed("receiver-1", "");
    assertEquals(403, handshakeStatus(url, Map.of("Origin", "http://evil.example")));
    int port = cluster.node("receiver-1").httpPort();
    try (FeedClient sameOrigin =
        FeedClient.webSocket(url, Map.of("Origin", "http://127.0.0.1:" + port))) {
      assertEquals("greeting", sameOrigin.next(WAIT).get("type").asText());
    }
  }

  @Test
  void aClientThatSendsIsSaidGoodbyeAndTheOthersNoticeNothing() throws Exception {
    try (FeedClient bystander = FeedClient.webSocket(feed("receiver-1", ""));
        FeedClient chatty = FeedClient.webSocket(feed("receiver-1", ""));
        FeedClient binary = FeedClient.webSocket(feed("receiver-1", ""));
        FeedClient flooding = FeedClient.webSocket(feed("receiver-1", ""))) {
      JsonNode before = bystander.next(WAIT);
      chatty.send("hello?");
      binary.sendBinary(new byte[64 * 1024]);
      CompletableFuture<Void> flood =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 500 && !flooding.closed.isDone(); i++) {
                  flooding.send("x".repeat(1024));
                }
              });
      for (FeedClient c : List.of(chatty, binary, flooding)) {
        assertEquals(1000, c.closed.get(10, TimeUnit.SECONDS));
        assertTrue(lastMessage(c).get("type").asText().equals("bye"), "no bye before close");
      }
      flood.exceptionally(e -> null).get(10, TimeUnit.SECONDS);
      List<JsonNode> after = bystander.next(10, WAIT);
      assertEquals(seq(before) + 1, seq(after.get(0)));
      assertConsecutiveGreetings(after);
      assertFalse(bystander.closed.isDone());
    }
  }

  @Test
  void serverSentEventsFromAnEarlierEpochAreToldTheNumberingRestarted() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(cluster.node("receiver-1").httpBase() + "/events"))
            .header("Last-Event-ID", "0badcafe:41")
            .build();
    try (FeedClient client = FeedClient.serverSentEvents(request)) {
      JsonNode reset = client.next(WAIT);
      assertEquals("reset", reset.get("type").asText(), reset.toString());
      assertEquals("0badcafe", reset.get("previousEpoch").asText());
      JsonNode greeting = client.next(WAIT);
      assertEquals("greeting", greeting.get("type").asText());
      assertEquals(reset.get("epoch").asText(), greeting.get("epoch").asText());
    }
  }

  @Test
  void oversizedTextFramesAreSaidGoodbyeAndTheOthersNoticeNothing() throws Exception {
    int port = cluster.node("receiver-1").httpPort();
    try (FeedClient bystander = FeedClient.webSocket(feed("receiver-1", ""));
        FeedClient huge = FeedClient.webSocket(feed("receiver-1", ""));
        RawWebSocket endless = RawWebSocket.open(port, "/feed", 64 * 1024)) {
      JsonNode before = bystander.next(WAIT);
      huge.next(WAIT);
      // One real 16 MiB text frame, and one that announces a terabyte and never ends: neither
      // may be buffered whole, and neither may hold up the feed.
      CompletableFuture<Void> sending =
          CompletableFuture.runAsync(() -> huge.send("x".repeat(16 << 20)));
      endless.sendHeader(RawWebSocket.TEXT, 1L << 40, true);
      CompletableFuture<Void> streaming =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int i = 0; i < 64; i++) {
                    endless.sendPayload(new byte[16 * 1024]);
                  }
                } catch (IOException closedByServer) {
                  // Expected once the server has said goodbye.
                }
              });

      assertEquals(1000, huge.closed.get(10, TimeUnit.SECONDS));
      assertEquals("bye", lastMessage(huge).get("type").asText());
      RawWebSocket.Received got = endless.readUntilEnd(WAIT);
      assertEquals("close frame", got.ending(), got.toString());
      assertEquals(1000, got.closeCode());
      String last = got.texts().get(got.texts().size() - 1);
      assertTrue(last.contains("\"type\":\"bye\""), last);
      sending.exceptionally(e -> null).get(10, TimeUnit.SECONDS);
      streaming.get(10, TimeUnit.SECONDS);

      List<JsonNode> after = bystander.next(10, WAIT);
      assertEquals(seq(before) + 1, seq(after.get(0)));
      assertConsecutiveGreetings(after);
      assertFalse(bystander.closed.isDone());
    }
  }

  @Test
  void unknownPathsWrongMethodsAndOversizedHeadersGetClearErrors() throws Exception {
    String base = cluster.node("receiver-1").httpBase();
    assertEquals(404, status(HttpRequest.newBuilder(URI.create(base + "/nope")).build()));
    assertEquals(404, status(HttpRequest.newBuilder(URI.create(base + "/static/nope.js")).build()));
    assertEquals(
        405,
        status(
            HttpRequest.newBuilder(URI.create(base + "/feed"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build()));
    assertEquals(405, status(HttpRequest.newBuilder(URI.create(base + "/")).DELETE().build()));
    assertEquals(
        400,
        status(HttpRequest.newBuilder(URI.create(base + "/feed")).build()),
        "a plain GET of /feed is not a WebSocket upgrade");
    int oversized =
        status(
            HttpRequest.newBuilder(URI.create(base + "/"))
                .header("X-Big", "y".repeat(20_000))
                .build());
    assertTrue(oversized == 431 || oversized == 400, "oversized header got " + oversized);
  }

  @Test
  void aBurstOfPageRequestsIsServedWhileTheFeedFlows() throws Exception {
    URI page = URI.create(cluster.node("receiver-2").httpBase() + "/");
    try (FeedClient watcher = FeedClient.webSocket(feed("receiver-1", ""))) {
      JsonNode before = watcher.next(WAIT);
      List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        burst.add(
            HTTP.sendAsync(
                HttpRequest.newBuilder(page).build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> r : burst) {
        assertEquals(200, r.get(30, TimeUnit.SECONDS).statusCode());
      }
      List<JsonNode> after = watcher.next(5, WAIT);
      assertTrue(seq(after.get(0)) > seq(before));
      assertConsecutiveGreetings(after);
    }
  }

  private static String feed(String receiver, String query) {
    return "ws://127.0.0.1:" + cluster.node(receiver).httpPort() + "/feed" + query;
  }

  private static String since(JsonNode greeting) {
    return "?since=" + greeting.get("epoch").asText() + ":" + seq(greeting);
  }

  private static long seq(JsonNode greeting) {
    return greeting.get("seq").asLong();
  }

  private static JsonNode lastMessage(FeedClient client) {
    JsonNode last = null;
    for (JsonNode m : client.messages) {
      last = m;
    }
    return last;
  }

  private static void assertConsecutiveGreetings(List<JsonNode> messages) {
    for (int i = 0; i < messages.size(); i++) {
      assertEquals("greeting", messages.get(i).get("type").asText(), messages.get(i).toString());
      if (i > 0) {
        assertEquals(seq(messages.get(i - 1)) + 1, seq(messages.get(i)), "at " + i);
      }
    }
  }

  private static int status(HttpRequest request) throws Exception {
    return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The HTTP status of a refused WebSocket handshake. */
  private static int handshakeStatus(String url, Map<String, String> headers) {
    CompletionException failure =
        assertThrows(CompletionException.class, () -> FeedClient.webSocket(url, headers).close());
    WebSocketHandshakeException handshake =
        assertInstanceOf(WebSocketHandshakeException.class, failure.getCause());
    return handshake.getResponse().statusCode();
  }

  private static void awaitAccepted(String url) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try (FeedClient client = FeedClient.webSocket(url)) {
        client.next(WAIT);
        return;
      } catch (CompletionException refused) {
        if (System.nanoTime() > deadline) {
          throw refused;
        }
        TestNodes.sleep(Duration.ofMillis(100));
      }
    }
  }
}
