package io.hellocluster.tools.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * One benchmark client: a JDK WebSocket on {@code /feed} that only listens. It timestamps each
 * message as it arrives, before parsing, records the greeting's latency and checks its numbering,
 * and remembers why it was refused or dropped. The JDK calls a listener one message at a time; the
 * monitor makes its counts visible to the thread that reads them at the end.
 */
final class FeedConnection implements WebSocket.Listener {
  private static final ObjectReader READER = new ObjectMapper().readerFor(FeedEvent.class);

  /** The longest reason kept for a refusal or drop; reasons are grouped by their text. */
  private static final int MAX_REASON = 80;

  /**
   * Messages the JDK may deliver before asking again. Topped up by one per message, so the reader
   * keeps going without a reschedule each time; the listener is quick, so nothing piles up.
   */
  private static final long DEMAND = 32;

  enum State {
    CONNECTING,
    OPEN,
    REFUSED,
    DROPPED,
    CLOSED
  }

  /** The fields of the feed's messages that the benchmark reads; see the app's FeedMessage. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record FeedEvent(
      String type, String epoch, long seq, String sentAt, long missed, String reason) {}

  /** A connection's outcome and counts, read once the benchmark has stopped it. */
  record Summary(
      URI uri,
      State state,
      String reason,
      long inWindow,
      long received,
      long outOfOrder,
      long duplicates,
      long gaps,
      long missing,
      long epochChanges,
      long gapNotices,
      long missedNotified,
      long resets,
      long byes,
      long unparsable) {}

  private final URI uri;
  private final Measurements measurements;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private Instant partialArrival;

  private final SequenceCheck check = new SequenceCheck();
  private State state = State.CONNECTING;
  private String reason = "";
  private WebSocket webSocket;
  private long inWindow;
  private long gapNotices;
  private long missedNotified;
  private long resets;
  private long byes;
  private String byeReason;
  private long unparsable;

  FeedConnection(URI uri, Measurements measurements) {
    this.uri = uri;
    this.measurements = measurements;
  }

  URI uri() {
    return uri;
  }

  /** Starts the opening handshake; completes when it has succeeded or failed. */
  CompletableFuture<Void> open(HttpClient client, Duration timeout) {
    return client
        .newWebSocketBuilder()
        .connectTimeout(timeout)
        .buildAsync(uri, this)
        .handle(
            (ws, failure) -> {
              if (failure == null) {
                opened(ws);
              } else {
                refused(describe(failure));
              }
              return null;
            });
  }

  /** Gives up on a handshake that has not finished in time. */
  void giveUp(String why) {
    refused(why);
  }

  /** Sends a normal close; completes when the connection has ended (or at once). */
  CompletableFuture<Void> close() {
    WebSocket ws;
    synchronized (this) {
      ws = state == State.OPEN ? webSocket : null;
    }
    if (ws == null) {
      return CompletableFuture.completedFuture(null);
    }
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "benchmark done");
    return ended;
  }

  /** Closes the connection at once, whether or not the server answered the close. */
  void abort() {
    WebSocket ws;
    synchronized (this) {
      ws = webSocket;
      end(State.CLOSED, "closed by the benchmark");
    }
    if (ws != null) {
      ws.abort();
    }
  }

  synchronized State state() {
    return state;
  }

  synchronized Summary summary() {
    return new Summary(
        uri,
        state,
        reason,
        inWindow,
        check.received(),
        check.outOfOrder(),
        check.duplicates(),
        check.gaps(),
        check.missing(),
        check.epochChanges(),
        gapNotices,
        missedNotified,
        resets,
        byes,
        unparsable);
  }

  @Override
  public void onOpen(WebSocket ws) {
    opened(ws);
    ws.request(DEMAND);
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    Instant now = Instant.now();
    if (!last) {
      if (partial.length() == 0) {
        partialArrival = now;
      }
      partial.append(data);
    } else if (partial.length() == 0) {
      handle(data.toString(), now);
    } else {
      handle(partial.append(data).toString(), partialArrival);
      partial.setLength(0);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String closeReason) {
    synchronized (this) {
      if (byeReason != null) {
        ended("bye from the server: " + byeReason);
      } else {
        ended("closed by the server with " + statusCode);
      }
    }
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    synchronized (this) {
      ended("error: " + describe(error));
    }
  }

  private synchronized void opened(WebSocket ws) {
    if (state == State.CONNECTING && !measurements.stopping()) {
      state = State.OPEN;
      webSocket = ws;
    } else if (webSocket != ws) {
      // Opened after the benchmark gave up on it or began to stop: not part of the run.
      ws.abort();
    }
  }

  private synchronized void refused(String why) {
    if (state == State.CONNECTING) {
      state = State.REFUSED;
      reason = why;
      ended.complete(null);
    }
  }

  /** The server or the network ended an open connection. */
  private void ended(String why) {
    if (measurements.stopping()) {
      end(State.CLOSED, "closed by the benchmark");
    } else {
      end(State.DROPPED, why);
    }
  }

  private void end(State next, String why) {
    if (state == State.OPEN || state == State.CONNECTING) {
      state = next;
      reason = why;
    }
    ended.complete(null);
  }

  private synchronized void handle(String text, Instant arrival) {
    FeedEvent event;
    try {
      event = READER.readValue(text);
    } catch (IOException e) {
      unparsable++;
      return;
    }
    switch (event.type() == null ? "" : event.type()) {
      case "greeting" -> greeting(event, arrival);
      case "gap" -> {
        gapNotices++;
        missedNotified += event.missed();
      }
      case "reset" -> resets++;
      case "bye" -> {
        byes++;
        byeReason = event.reason();
      }
      default -> unparsable++;
    }
  }

  private void greeting(FeedEvent event, Instant arrival) {
    Instant sentAt;
    try {
      sentAt = Instant.parse(event.sentAt());
    } catch (DateTimeParseException | NullPointerException e) {
      unparsable++;
      return;
    }
    check.accept(event.epoch(), event.seq());
    if (measurements.inWindow()) {
      inWindow++;
    }
    measurements.greeting(
        event.seq(),
        ChronoUnit.MICROS.between(Instant.EPOCH, sentAt),
        ChronoUnit.MICROS.between(sentAt, arrival));
  }

  /** A short, groupable reason: the HTTP status of a refused upgrade, or the kind of failure. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String why;
    if (t instanceof WebSocketHandshakeException h) {
      why = "HTTP " + h.getResponse().statusCode();
    } else if (t instanceof HttpConnectTimeoutException) {
      why = "connect timeout";
    } else if (t instanceof HttpTimeoutException) {
      why = "handshake timeout";
    } else if (t instanceof ConnectException) {
      why = "connection refused";
    } else {
      why = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
    return why.length() <= MAX_REASON ? why : why.substring(0, MAX_REASON - 3) + "...";
  }
}
