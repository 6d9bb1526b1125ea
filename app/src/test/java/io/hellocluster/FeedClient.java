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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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

  private final AutoCloseable connection;

  private FeedClient(java.util.function.Function<FeedClient, AutoCloseable> connect) {
    this.connection = connect.apply(this);
  }

  static FeedClient webSocket(String uri) {
    return new FeedClient(client -> client.openWebSocket(URI.create(uri)));
  }

  static FeedClient serverSentEvents(String uri) {
    return new FeedClient(client -> client.openEventStream(URI.create(uri)));
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

  List<JsonNode> next(int count, Duration eachTimeout) {
    List<JsonNode> received = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      received.add(next(eachTimeout));
    }
    return received;
  }

  private AutoCloseable openWebSocket(URI uri) {
    WebSocket ws =
        HTTP.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(uri, new Listener())
            .join();
    return () -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
  }

  private AutoCloseable openEventStream(URI uri) {
    HttpRequest request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build();
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
      StringBuilder data = new StringBuilder();
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        } else if (line.isEmpty() && data.length() > 0) {
          JsonNode json = JSON.readTree(data.toString());
          if (!event.equals(json.path("type").asText())) {
            closed.completeExceptionally(
                new AssertionError("SSE event type " + event + " but JSON " + json));
          }
          messages.add(json);
          event = "message";
          data.setLength(0);
        }
      }
      closed.complete(-1);
    } catch (IOException e) {
      closed.complete(-1);
    }
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
          messages.add(JSON.readTree(text.toString()));
        } catch (IOException e) {
          closed.completeExceptionally(new AssertionError("not JSON: " + text, e));
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
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
