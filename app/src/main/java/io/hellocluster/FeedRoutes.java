package io.hellocluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
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
 * as WebSocket at {@code /feed} and as Server-Sent Events at {@code /events}. Each client reads the
 * shared live stream through its own bounded buffer, and is disconnected when it overflows.
 */
public final class FeedRoutes extends AllDirectives {
  private final Source<Greeting, NotUsed> live;
  private final String receiverName;
  private final int clientBuffer;
  private final Duration keepAlive;
  private final ObjectMapper mapper;

  public FeedRoutes(Source<Greeting, NotUsed> live, HelloSettings settings, ObjectMapper mapper) {
    this.live = live;
    this.receiverName = settings.nodeName();
    this.clientBuffer = settings.clientBuffer();
    this.keepAlive = settings.keepAlive();
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

  private Route webSocketFeed() {
    // Clients have nothing to say: the first message they send ends the connection.
    Sink<Message, NotUsed> inbound = Flow.of(Message.class).take(1).to(Sink.ignore());
    Source<Message, NotUsed> outbound =
        clientStream().map(json -> (Message) TextMessage.create(json));
    return handleWebSocketMessages(Flow.fromSinkAndSourceCoupled(inbound, outbound));
  }

  private Route serverSentEvents() {
    Source<ServerSentEvent, NotUsed> events =
        clientStream()
            .map(json -> ServerSentEvent.create(json, "greeting"))
            .keepAlive(keepAlive, ServerSentEvent::heartbeat);
    return completeOK(events, EventStreamMarshalling.toEventStream());
  }

  /** The live stream as JSON, behind this client's own buffer so it never slows the others. */
  private Source<String, NotUsed> clientStream() {
    return live.buffer(clientBuffer, OverflowStrategy.fail()).map(this::toJson);
  }

  private String toJson(Greeting greeting) throws JsonProcessingException {
    return mapper.writeValueAsString(FeedEvent.of(greeting, receiverName));
  }
}
