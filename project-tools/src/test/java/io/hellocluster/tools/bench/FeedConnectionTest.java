package io.hellocluster.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class FeedConnectionTest {
  /** A WebSocket that accepts request(n) and does nothing else. */
  private static final WebSocket SOCKET =
      (WebSocket)
          Proxy.newProxyInstance(
              WebSocket.class.getClassLoader(),
              new Class<?>[] {WebSocket.class},
              (proxy, method, args) -> null);

  @Test
  void countsGreetingsInPiecesNoticesAndMessagesItCannotRead() {
    Measurements measurements = new Measurements();
    FeedConnection connection =
        new FeedConnection(URI.create("ws://127.0.0.1:1/feed"), measurements);
    connection.onOpen(SOCKET);
    measurements.startWindow();

    Instant now = Instant.now();
    connection.onText(SOCKET, greeting(1, now.minusMillis(1050)), true);
    String second = greeting(2, now.minusMillis(850));
    connection.onText(SOCKET, second.substring(0, 20), false);
    connection.onText(SOCKET, second.substring(20), true);
    connection.onText(
        SOCKET, "{\"type\":\"gap\",\"epoch\":\"e1\",\"afterSeq\":2,\"missed\":3}", true);
    connection.onText(SOCKET, greeting(6, now.minusMillis(50)), true);
    connection.onText(SOCKET, "not json", true);
    connection.onText(SOCKET, "{\"type\":\"bye\",\"reason\":\"this receiver stops\"}", true);
    connection.onClose(SOCKET, 1000, "");

    FeedConnection.Summary summary = connection.summary();
    assertEquals(3, summary.received());
    assertEquals(3, summary.inWindow());
    assertEquals(1, summary.gaps());
    assertEquals(3, summary.missing());
    assertEquals(1, summary.gapNotices());
    assertEquals(3, summary.missedNotified());
    assertEquals(1, summary.byes());
    assertEquals(1, summary.unparsable());
    assertEquals(FeedConnection.State.DROPPED, summary.state());
    assertEquals("bye from the server: this receiver stops", summary.reason());
    // Seqs 1 to 6 were sent within one second, though 3 to 5 never came.
    assertEquals(5.0, measurements.broadcastPerSecond(), 0.001);
    Histogram latency = measurements.endWindow();
    assertEquals(3, latency.getTotalCount());
    assertTrue(latency.getMinValue() >= 50_000, "latency below 50 ms: " + latency.getMinValue());
  }

  @Test
  void aConnectionTheBenchmarkClosesIsNotDropped() {
    Measurements measurements = new Measurements();
    FeedConnection connection =
        new FeedConnection(URI.create("ws://127.0.0.1:1/feed"), measurements);
    connection.onOpen(SOCKET);
    measurements.stop();
    connection.onClose(SOCKET, 1000, "");
    assertEquals(FeedConnection.State.CLOSED, connection.summary().state());
  }

  @Test
  void clientsWhoseServerNeverAnswersTheCloseStillCountAsOpenAtTheEnd() throws Exception {
    Measurements measurements = new Measurements();
    FeedConnection answered = new FeedConnection(URI.create("ws://127.0.0.1:1/feed"), measurements);
    FeedConnection silent = new FeedConnection(URI.create("ws://127.0.0.1:1/feed"), measurements);
    FeedConnection dropped = new FeedConnection(URI.create("ws://127.0.0.1:1/feed"), measurements);
    answered.onOpen(answeringClose(answered));
    silent.onOpen(SOCKET);
    dropped.onOpen(SOCKET);
    dropped.onClose(SOCKET, 1011, "");

    List<FeedConnection.Summary> summaries =
        FeedBench.stop(List.of(answered, silent, dropped), measurements, Duration.ofMillis(200));

    Report.Connections totals = FeedBench.connectionTotals(summaries, 1.0);
    assertEquals(3, totals.connected());
    assertEquals(2, totals.openAtEnd());
    assertEquals(1, totals.dropped());
    assertEquals(Map.of("closed by the server with 1011", 1), totals.droppedBy());
  }

  /** A WebSocket whose server answers the close at once, as a healthy receiver does. */
  private static WebSocket answeringClose(FeedConnection connection) {
    return (WebSocket)
        Proxy.newProxyInstance(
            WebSocket.class.getClassLoader(),
            new Class<?>[] {WebSocket.class},
            (proxy, method, args) -> {
              if (method.getName().equals("sendClose")) {
                connection.onClose((WebSocket) proxy, WebSocket.NORMAL_CLOSURE, "");
                return CompletableFuture.completedFuture(proxy);
              }
              return null;
            });
  }

  private static String greeting(long seq, Instant sentAt) {
    return "{\"type\":\"greeting\",\"epoch\":\"e1\",\"seq\":"
        + seq
        + ",\"text\":\"Hello world\",\"sentAt\":\""
        + sentAt
        + "\",\"delayMillis\":150,\"broadcaster\":\"b\",\"receiver\":\"r\"}";
  }
}
