package io.hellocluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Subscribes to the greetings topic, feeds every greeting into the node's live stream, which all
 * connected clients share, and keeps a bounded history of the current epoch so that reconnecting
 * clients can catch up. Logs each greeting at INFO.
 */
public final class Receiver extends AbstractBehavior<Receiver.Command> {

  public interface Command {}

  /** Asks for the history held now, oldest first. */
  public record GetHistory(ActorRef<List<Greeting>> replyTo) implements Command {}

  private record Received(Greeting greeting) implements Command {}

  /** How much history to keep: at most {@code size} greetings, none older than {@code age}. */
  public record HistoryBounds(int size, Duration age) {}

  public static Behavior<Command> create(
      ActorRef<Topic.Command<Greeting>> topic,
      ActorRef<Greeting> live,
      HistoryBounds bounds,
      Clock clock) {
    return Behaviors.setup(context -> new Receiver(context, topic, live, bounds, clock));
  }

  private final ActorRef<Greeting> live;
  private final HistoryBounds bounds;
  private final Clock clock;
  private final Deque<Greeting> history = new ArrayDeque<>();
  private final Deque<Instant> arrivals = new ArrayDeque<>();

  private Receiver(
      ActorContext<Command> context,
      ActorRef<Topic.Command<Greeting>> topic,
      ActorRef<Greeting> live,
      HistoryBounds bounds,
      Clock clock) {
    super(context);
    this.live = live;
    this.bounds = bounds;
    this.clock = clock;
    topic.tell(Topic.subscribe(context.messageAdapter(Greeting.class, Received::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Received.class, this::onReceived)
        .onMessage(GetHistory.class, this::onGetHistory)
        .build();
  }

  private Behavior<Command> onReceived(Received received) {
    Greeting g = received.greeting();
    getContext()
        .getLog()
        .info("Received [{}] seq [{}] from [{}]", g.text(), g.seq(), g.broadcaster());
    if (!history.isEmpty() && !history.peekLast().epoch().equals(g.epoch())) {
      // A new epoch restarts the numbering; older greetings cannot be resumed from any more.
      history.clear();
      arrivals.clear();
    }
    history.addLast(g);
    arrivals.addLast(clock.instant());
    live.tell(g);
    trim();
    return this;
  }

  private Behavior<Command> onGetHistory(GetHistory get) {
    trim();
    get.replyTo().tell(List.copyOf(history));
    return this;
  }

  private void trim() {
    Instant oldest = clock.instant().minus(bounds.age());
    while (history.size() > bounds.size()
        || (!arrivals.isEmpty() && arrivals.peekFirst().isBefore(oldest))) {
      history.removeFirst();
      arrivals.removeFirst();
    }
  }
}
