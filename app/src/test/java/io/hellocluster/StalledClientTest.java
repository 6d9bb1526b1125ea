package io.hellocluster;

import static io.hellocluster.Greetings.assertConsecutive;
import static io.hellocluster.Greetings.seq;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LongSummaryStatistics;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client that stops reading its socket must cost the others nothing: they go on receiving every
 * greeting as fast as before, while the stalled one is disconnected once its bounded buffer
 * overflows ({@code hello-cluster.feed.client-buffer}).
 */
@ExtendWith(LogCapturingExtension.class)
class StalledClientTest {
  private static final Logger MEASURED = LoggerFactory.getLogger("io.hellocluster.measured");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Small, so the buffer overflows after seconds even though the kernel buffers some first. */
  private static final int CLIENT_BUFFER = 16;

  /** The two well-behaved clients and the stalled one: a fourth connection shows it is gone. */
  private static final int MAX_CONNECTIONS = 3;

  /**
   * Latency a greeting may have on a healthy client while another stalls. A hub held back by the
   * stalled client would delay them until that client is cut, seconds later; unhindered they take
   * milliseconds.
   */
  private static final Duration LATENCY_BOUND = Duration.ofSeconds(1);

  private static TestNodes cluster;

  @BeforeAll
  static void startCluster() {
    String feed =
        String.join(
            "\n",
            "hello-cluster.feed.client-buffer = " + CLIENT_BUFFER,
            "hello-cluster.feed.max-connections = " + MAX_CONNECTIONS,
            // Left alone, Linux grows a send buffer towards tcp_wmem's 4 MB, minutes of greetings
            // here; a fixed one lets the feed's own buffer be what overflows, within seconds.
            "pekko.http.server.socket-options.so-send-buffer-size = 16k");
    // As fast as the scheduler's 10 ms tick allows, so that the stalled client falls behind fast.
    cluster =
        TestNodes.start(
            "1ms",
            "5ms",
            new TestNodes.Spec("broadcaster-1", "broadcaster"),
            new TestNodes.Spec("receiver-1", "receiver", feed));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientThatStopsReadingIsCutOffWithoutDelayingTheOthers() throws Exception {
    TestNodes.Node receiver = cluster.node("receiver-1");
    try (FeedClient ws = FeedClient.webSocket("ws://127.0.0.1:" + receiver.httpPort() + "/feed");
        FeedClient sse = FeedClient.serverSentEvents(receiver.httpBase() + "/events")) {
      ws.next(50, WAIT);
      sse.next(50, WAIT);
      Instant stallStart = Instant.now();
      Instant cutOff;
      RawWebSocket.Received stalledGot;
      try (RawWebSocket stalled = RawWebSocket.open(receiver.httpPort(), "/feed", 1024)) {
        awaitFeedStatus(receiver, 503, "the stalled client to be counted");
        cutOff = awaitFeedStatus(receiver, 200, "the stalled client to be cut off");
        stalledGot = stalled.readUntilEnd(WAIT);
      }

      List<JsonNode> wsGot = received(ws);
      List<JsonNode> sseGot = received(sse);
      LongSummaryStatistics before = latencies(ws, wsGot, Instant.MIN, stallStart);
      LongSummaryStatistics during = latencies(ws, wsGot, stallStart, cutOff);
      LongSummaryStatistics sseDuring = latencies(sse, sseGot, stallStart, cutOff);
      MEASURED.info(
          "Stalled client cut off {} ms after it stopped reading, having received {} greetings"
              + " then {} (code {}); healthy latency before: avg {} ms, max {} ms; while it"
              + " stalled: WebSocket avg {} ms, max {} ms ({} greetings), SSE avg {} ms, max {} ms",
          Duration.between(stallStart, cutOff).toMillis(),
          stalledGot.texts().size(),
          stalledGot.ending(),
          stalledGot.closeCode(),
          Math.round(before.getAverage()),
          before.getMax(),
          Math.round(during.getAverage()),
          during.getMax(),
          during.getCount(),
          Math.round(sseDuring.getAverage()),
          sseDuring.getMax());

      assertNotEquals("still open", stalledGot.ending(), "the stalled client was disconnected");
      List<JsonNode> stalledGreetings = new ArrayList<>();
      for (String text : stalledGot.texts()) {
        stalledGreetings.add(JSON.readTree(text));
      }
      assertConsecutive(stalledGreetings);
      long liveEdge = seq(wsGot.get(wsGot.size() - 1));
      assertTrue(
          seq(stalledGreetings.get(stalledGreetings.size() - 1)) < liveEdge - CLIENT_BUFFER,
          "the stalled client fell behind by more than its buffer before it was cut");

      for (FeedClient healthy : List.of(ws, sse)) {
        List<JsonNode> got = healthy == ws ? wsGot : sseGot;
        assertConsecutive(got);
        LongSummaryStatistics stalledWindow = latencies(healthy, got, stallStart, cutOff);
        assertTrue(stalledWindow.getCount() > CLIENT_BUFFER, "greetings while another stalled");
        assertTrue(
            stalledWindow.getMax() < LATENCY_BOUND.toMillis(),
            "a healthy client waited " + stalledWindow.getMax() + " ms for a greeting");
        assertFalse(healthy.closed.isDone());
      }
    }
  }

  /**
   * Polls {@code /events} until it answers {@code status}: 503 while the receiver is at its
   * connection cap, 200 once a connection went. Returns when it first did.
   */
  private static Instant awaitFeedStatus(TestNodes.Node receiver, int status, String what)
      throws Exception {
    URI events = URI.create(receiver.httpBase() + "/events");
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (Instant.now().isBefore(deadline)) {
      HttpResponse<InputStream> response =
          HTTP.send(
              HttpRequest.newBuilder(events).build(), HttpResponse.BodyHandlers.ofInputStream());
      response.body().close();
      if (response.statusCode() == status) {
        return Instant.now();
      }
      TestNodes.sleep(Duration.ofMillis(20));
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  private static List<JsonNode> received(FeedClient client) {
    List<JsonNode> all = new ArrayList<>();
    client.arrivals.forEach(a -> all.add(a.message()));
    return all;
  }

  /** Milliseconds from sending to arrival of the greetings sent within [from, to). */
  private static LongSummaryStatistics latencies(
      FeedClient client, List<JsonNode> greetings, Instant from, Instant to) {
    LongSummaryStatistics stats = new LongSummaryStatistics();
    for (JsonNode g : greetings) {
      Instant sent = Instant.parse(g.get("sentAt").asText());
      if (!sent.isBefore(from) && sent.isBefore(to)) {
        stats.accept(Duration.between(sent, client.arrivalOf(g)).toMillis());
      }
    }
    return stats;
  }
}
