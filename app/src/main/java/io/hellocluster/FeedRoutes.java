package io.hellocluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The receivers' HTTP API: the page at {@code /}, its assets under {@code /static}, the live feed
 * as WebSocket at {@code /feed} and as Server-Sent Events at {@code /events}.
 *
 * <p>Each client reads the shared live stream through its own bounded buffer and is disconnected
 * when that overflows, so a slow client never delays the others. A client that says where it left
 * off first gets what it missed from this receiver's history. Connections are capped per receiver,
 * WebSocket upgrades are refused to origins not allowed, and clients that send anything are
 * disconnected: the feed only speaks.
 */
public final class FeedRoutes extends AllDirectives {
  /** How long a history request may take before the client is served live greetings only. */
  private static final Duration HISTORY_TIMEOUT = Duration.ofSeconds(3);

  /** How soon an SSE client should reconnect after a "bye"; another receiver will serve it. */
  private static final int SSE_RETRY_MILLIS = 1000;

  private final ActorSystem<?> system;
  private final Source<Greeting, NotUsed> live;
  private final ActorRef<Receiver.Command> receiver;
  private final HelloSettings settings;
  private final ObjectMapper mapper;
  private final CompletableFuture<FeedMessage.Bye> shutdown = new CompletableFuture<>();
  private final AtomicInteger connections = new AtomicInteger();

  public FeedRoutes(
      ActorSystem<?> system,
      Source<Greeting, NotUsed> live,
      ActorRef<Receiver.Command> receiver,
      HelloSettings settings,
      ObjectMapper mapper) {
    this.system = system;
    this.live = live;
    this.receiver = receiver;
    this.settings = settings;
    this.mapper = mapper;
  }

  public Route routes() {
    return concat(
        pathEndOrSingleSlash(
            () -> get(() -> getFromResource("web/index.html", ContentTypes.TEXT_HTML_UTF8))),
        pathPrefix("static", () -> get(() -> getFromResourceDirectory("web"))),
        path("feed", () -> get(this::webSocketFeed)),
        path("events", () -> get(this::serverSentEvents)));
  }

  /** Says goodbye to every connected client, which then reconnects, and refuses new ones. */
  public void closeAll(String reason) {
    shutdown.complete(FeedMessage.Bye.of(reason));
  }

  /** Clients connected now. */
  public int connectionCount() {
    return connections.get();
  }

  private Route webSocketFeed() {
    return extractRequest(
        request ->
            allowedOrigin(
                request,
                () ->
                    withResumePoint(
                        inner -> parameterOptional("since", inner),
                        since -> withCapacity(() -> webSocket(since)))));
  }

  private Route webSocket(Optional<ResumePoint> since) {
    CompletableFuture<FeedMessage.Bye> clientSpoke = new CompletableFuture<>();
    // Clients have nothing to say: whatever they send is drained and ends the connection.
    Sink<Message, CompletionStage<org.apache.pekko.Done>> inbound =
        Sink.foreach(
            message -> {
              clientSpoke.complete(FeedMessage.Bye.of("clients must not send messages"));
              drain(message);
            });
    Source<Message, NotUsed> outbound =
        clientStream(since, clientSpoke).map(m -> (Message) TextMessage.create(toJson(m)));
    return handleWebSocketMessages(Flow.fromSinkAndSourceCoupled(inbound, outbound));
  }

  private Route serverSentEvents() {
    // EventSource resends the last id it saw as Last-Event-ID; curl users can say ?since=.
    return withResumePoint(
        inner ->
            optionalHeaderValueByName(
                "Last-Event-ID",
                header ->
                    header.isPresent() ? inner.apply(header) : parameterOptional("since", inner)),
        since -> withCapacity(() -> eventStream(since)));
  }

  private Route eventStream(Optional<ResumePoint> since) {
    Source<ServerSentEvent, NotUsed> events =
        clientStream(since, new CompletableFuture<>())
            .map(this::toEvent)
            .keepAlive(settings.keepAlive(), ServerSentEvent::heartbeat);
    return completeOK(events, EventStreamMarshalling.toEventStream());
  }

  /**
   * The messages for one client: what it missed (if it says where it left off), then live
   * greetings, ending with a "bye" when the node shuts down or {@code end} completes.
   */
  private Source<FeedMessage, NotUsed> clientStream(
      Optional<ResumePoint> since, CompletableFuture<FeedMessage.Bye> end) {
    Source<Greeting, NotUsed> missed =
        since.isEmpty()
            ? Source.empty()
            : Source.lazyCompletionStage(this::history).mapConcat(greetings -> greetings);
    // This source is built for one client and materialized once, so its Backfill is its own.
    Backfill backfill = new Backfill(since, this::history);
    Source<FeedMessage, NotUsed> greetings =
        missed
            .concat(live.buffer(settings.clientBuffer(), OverflowStrategy.fail()))
            .mapAsync(1, backfill::fill)
            .mapConcat(filled -> filled)
            .statefulMapConcat(
                () -> {
                  Continuity continuity = new Continuity(since, settings.nodeName());
                  return continuity::next;
                });
    CompletableFuture<FeedMessage> bye =
        CompletableFuture.anyOf(shutdown, end).thenApply(FeedMessage.class::cast);
    return greetings
        .merge(Source.completionStage(bye))
        .takeWhile(m -> !(m instanceof FeedMessage.Bye), true)
        .watchTermination(
            (mat, done) -> {
              connections.incrementAndGet();
              done.whenComplete(
                  (ok, failure) -> {
                    connections.decrementAndGet();
                    // Completing it releases what anyOf hung on the node-wide shutdown future;
                    // otherwise every closed stream stays reachable until the node stops.
                    end.complete(FeedMessage.Bye.of("closed"));
                  });
              return mat;
            });
  }

  private CompletionStage<List<Greeting>> history() {
    return AskPattern.<Receiver.Command, List<Greeting>>ask(
            receiver, Receiver.GetHistory::new, HISTORY_TIMEOUT, system.scheduler())
        .exceptionally(timeout -> List.of());
  }

  private Route withResumePoint(
      Function<Function<Optional<String>, Route>, Route> extract,
      Function<Optional<ResumePoint>, Route> inner) {
    return extract.apply(
        raw -> {
          Optional<ResumePoint> since;
          try {
            since = ResumePoint.parse(raw);
          } catch (IllegalArgumentException e) {
            return complete(StatusCodes.BAD_REQUEST, "Invalid resume point: " + e.getMessage());
          }
          return inner.apply(since);
        });
  }

  private Route withCapacity(Supplier<Route> inner) {
    if (shutdown.isDone()) {
      return respondWithHeader(
          RetryAfter.create(1L),
          () -> complete(StatusCodes.SERVICE_UNAVAILABLE, "This receiver is shutting down."));
    }
    if (connections.get() >= settings.maxConnections()) {
      return respondWithHeader(
          RetryAfter.create(5L),
          () ->
              complete(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  "This receiver serves its maximum of "
                      + settings.maxConnections()
                      + " feed connections; retry later or use another receiver."));
    }
    return inner.get();
  }

  /** Browsers always send Origin on WebSocket upgrades; other clients may leave it out. */
  private Route allowedOrigin(HttpRequest request, Supplier<Route> inner) {
    Optional<String> origin = request.getHeader("Origin").map(h -> h.value());
    if (origin.isEmpty() || isAllowed(origin.get(), request)) {
      return inner.get();
    }
    return complete(
        StatusCodes.FORBIDDEN,
        "Origin "
            + origin.get()
            + " may not open the feed; add it to HELLO_ALLOWED_ORIGINS to allow it.");
  }

  private boolean isAllowed(String origin, HttpRequest request) {
    Set<String> allowed = settings.allowedOrigins();
    if (allowed.contains("*") || allowed.contains(origin)) {
      return true;
    }
    Optional<Host> host = request.getHeader(Host.class);
    try {
      URI uri = URI.create(origin);
      int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
      return host.isPresent()
          && host.get().host().address().equalsIgnoreCase(uri.getHost())
          && (host.get().port() == 0 ? 80 : host.get().port()) == port;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private void drain(Message message) {
    if (message.isText()) {
      message.asTextMessage().getStreamedText().runWith(Sink.ignore(), system);
    } else {
      message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), system);
    }
  }

  private ServerSentEvent toEvent(FeedMessage message) throws JsonProcessingException {
    Optional<String> id =
        message instanceof FeedMessage.GreetingMessage g
            ? Optional.of(new ResumePoint(g.epoch(), g.seq()).id())
            : Optional.empty();
    OptionalInt retry =
        message instanceof FeedMessage.Bye ? OptionalInt.of(SSE_RETRY_MILLIS) : OptionalInt.empty();
    return ServerSentEvent.create(toJson(message), Optional.of(message.type()), id, retry);
  }

  private String toJson(FeedMessage message) throws JsonProcessingException {
    return mapper.writeValueAsString(message);
  }
}
