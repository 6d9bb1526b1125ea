package io.hellocluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Real feed clients for tests: the JDK's WebSocket, and a line reader for Server-Sent Events. */
final class FeedClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Every JSON message received, in order. */
  final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();

  /** Completes with the close code when the server closes the connection. */
  final CompletableFuture<Integer> closed = new CompletableFuture<>();

  /** WebSocket pings the server sent (the JDK answers each with a pong by itself). */
  final java.util.concurrent.atomic.AtomicInteger pings =
      new java.util.concurrent.atomic.AtomicInteger();

  /** SSE heartbeats: events without data (Pekko's) or comment lines, which carry no message. */
  final java.util.concurrent.atomic.AtomicInteger heartbeats =
      new java.util.concurrent.atomic.AtomicInteger();

  /** The SSE {@code retry:} field of the last event of each type that carried one. */
  final Map<String, Long> retryByType = new ConcurrentHashMap<>();

  /** When each message arrived, in arrival order, for measuring gaps and latencies. */
  final List<Arrival> arrivals = new CopyOnWriteArrayList<>();

  /** A message and the wall-clock time it was read off the connection. */
  record Arrival(JsonNode message, Instant at) {}

  private volatile WebSocket webSocket;
  private final AutoCloseable connection;

  private FeedClient(java.util.function.Function<FeedClient, AutoCloseable> connect) {
    this.connection = connect.apply(this);
  }

  static FeedClient webSocket(String uri) {
    return webSocket(uri, java.util.Map.of());
  }

  /** Opens a WebSocket with extra request headers, e.g. an Origin. */
  static FeedClient webSocket(String uri, java.util.Map<String, String> headers) {
    return new FeedClient(client -> client.openWebSocket(URI.create(uri), headers));
  }

  /** Sends a text frame, as clients are not supposed to. */
  void send(String text) {
    webSocket.sendText(text, true).join();
  }

  /** Sends a binary frame, as clients are not supposed to. */
  void sendBinary(byte[] data) {
    webSocket.sendBinary(java.nio.ByteBuffer.wrap(data), true).join();
  }

  static FeedClient serverSentEvents(String uri) {
    return serverSentEvents(HttpRequest.newBuilder(URI.create(uri)).build());
  }

  static FeedClient serverSentEvents(HttpRequest request) {
    return new FeedClient(client -> client.openEventStream(request));
  }

  /** Waits for the next message, failing the test when none comes in time. */
  JsonNode next(Duration timeout) {
    try {
      JsonNode message = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (message == null) {
        throw new AssertionError("no message within " + timeout);
      }
      return message;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** When {@code message}, one this client received, arrived. */
  Instant arrivalOf(JsonNode message) {
    return arrivals.stream()
        .filter(a -> a.message() == message)
        .findFirst()
        .orElseThrow(() -> new AssertionError("not received by this client: " + message))
        .at();
  }

  List<JsonNode> next(int count, Duration eachTimeout) {
    List<JsonNode> received = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      received.add(next(eachTimeout));
    }
    return received;
  }

  private AutoCloseable openWebSocket(URI uri, java.util.Map<String, String> headers) {
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(builder::header);
    WebSocket ws = builder.buildAsync(uri, new Listener()).join();
    webSocket = ws;
    return () -> {
      if (!ws.isOutputClosed()) {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
      }
      ws.abort();
    };
  }

  private AutoCloseable openEventStream(HttpRequest request) {
    URI uri = request.uri();
    HttpResponse<InputStream> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new AssertionError("cannot connect to " + uri, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (response.statusCode() != 200
        || !response
            .headers()
            .firstValue("Content-Type")
            .orElse("")
            .startsWith("text/event-stream")) {
      throw new AssertionError("not an event stream: " + response + " " + response.headers());
    }
    Thread reader = new Thread(() -> readEvents(response.body()), "sse-reader");
    reader.setDaemon(true);
    reader.start();
    return () -> response.body().close();
  }

  /** Dispatches each event at its blank line, as browsers do; field order does not matter. */
  private void readEvents(InputStream body) {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String line;
      String event = "message";
      Long retry = null;
      boolean anyField = false;
      StringBuilder data = new StringBuilder();
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        } else if (line.startsWith("retry:")) {
          retry = Long.parseLong(line.substring(6).trim());
        } else if (line.isEmpty() && data.length() > 0) {
          JsonNode json = JSON.readTree(data.toString());
          if (!event.equals(json.path("type").asText())) {
            closed.completeExceptionally(
                new AssertionError("SSE event type " + event + " but JSON " + json));
          }
          if (retry != null) {
            retryByType.put(event, retry);
          }
          received(json);
          event = "message";
          retry = null;
          data.setLength(0);
        } else if (line.isEmpty() && anyField) {
          heartbeats.incrementAndGet();
        }
        anyField = !line.isEmpty();
      }
      closed.complete(-1);
    } catch (IOException e) {
      closed.complete(-1);
    }
  }

  private void received(JsonNode message) {
    arrivals.add(new Arrival(message, Instant.now()));
    messages.add(message);
  }

  @Override
  public void close() throws Exception {
    connection.close();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          received(JSON.readTree(text.toString()));
        } catch (IOException e) {
          closed.completeExceptionally(new AssertionError("not JSON: " + text, e));
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, java.nio.ByteBuffer message) {
      pings.incrementAndGet();
      return WebSocket.Listener.super.onPing(ws, message);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.completeExceptionally(error);
    }
  }
}
