package io.hellocluster.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A WebSocket client of one receiver's {@code /feed}, recording every greeting with the monotonic
 * time it arrived and whether (and why) the connection ended. It never reconnects: an interruption
 * stays visible.
 */
final class FeedClient implements WebSocket.Listener, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String receiver;
  private final List<Greeting> greetings = new ArrayList<>();
  private final StringBuilder partial = new StringBuilder();
  private volatile String ended;
  private WebSocket socket;

  private FeedClient(String receiver) {
    this.receiver = receiver;
  }

  static FeedClient connect(HttpClient http, String receiver, URI feed)
      throws InterruptedException {
    FeedClient client = new FeedClient(receiver);
    try {
      client.socket =
          http.newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .buildAsync(feed, client)
              .get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot open " + feed + ": " + e, e);
    }
    return client;
  }

  String receiver() {
    return receiver;
  }

  /** Every greeting so far, oldest first. */
  synchronized List<Greeting> greetings() {
    return List.copyOf(greetings);
  }

  /** Why the connection ended, or empty while it is open. */
  Optional<String> ended() {
    return Optional.ofNullable(ended);
  }

  /** Waits for a greeting at or after position {@code from} that matches. */
  synchronized Greeting await(int from, Predicate<Greeting> matching, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int i = from; i < greetings.size(); i++) {
        if (matching.test(greetings.get(i))) {
          return greetings.get(i);
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || ended != null) {
        throw new AssertionError(
            "no matching greeting from "
                + receiver
                + " within "
                + timeout
                + (ended == null ? "" : "; the feed ended: " + ended)
                + "; got "
                + greetings.subList(Math.min(from, greetings.size()), greetings.size()));
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** Waits until {@code count} greetings arrived at or after position {@code from}. */
  synchronized List<Greeting> awaitCount(int from, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (greetings.size() < from + count) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || ended != null) {
        throw new AssertionError(
            receiver
                + " delivered "
                + (greetings.size() - from)
                + " of "
                + count
                + " greetings within "
                + timeout
                + (ended == null ? "" : "; the feed ended: " + ended));
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return List.copyOf(greetings.subList(from, greetings.size()));
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    long arrived = System.nanoTime();
    synchronized (this) {
      partial.append(data);
      if (last) {
        // Other kinds of events (none so far) are not greetings and carry no timing.
        Greeting.parse(partial.toString(), arrived).ifPresent(greetings::add);
        partial.setLength(0);
        notifyAll();
      }
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    end("closed by the server with " + statusCode + " " + reason);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    end("failed: " + error);
  }

  private synchronized void end(String why) {
    ended = why;
    notifyAll();
  }

  @Override
  public void close() {
    if (socket != null && ended == null) {
      ended = "closed by the test";
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS);
      socket.abort();
    }
  }

  /** One greeting as the feed delivered it, with the client's arrival time. */
  record Greeting(
      String epoch,
      long seq,
      String text,
      long delayMillis,
      String broadcaster,
      String receiver,
      Instant sentAt,
      long arrivedNanos) {

    static Optional<Greeting> parse(String json, long arrivedNanos) {
      JsonNode event;
      try {
        event = JSON.readTree(json);
      } catch (IOException e) {
        throw new IllegalStateException("the feed sent invalid JSON: " + json, e);
      }
      if (!"greeting".equals(event.path("type").asText())) {
        return Optional.empty();
      }
      return Optional.of(
          new Greeting(
              event.path("epoch").asText(),
              event.path("seq").asLong(),
              event.path("text").asText(),
              event.path("delayMillis").asLong(),
              event.path("broadcaster").asText(),
              event.path("receiver").asText(),
              Instant.parse(event.path("sentAt").asText()),
              arrivedNanos));
    }

    /** Seconds between this greeting's arrival and a later one's. */
    double secondsUntil(Greeting later) {
      return (later.arrivedNanos - arrivedNanos) / 1e9;
    }

    @Override
    public String toString() {
      return "#" + seq + " from " + broadcaster;
    }
  }
}
