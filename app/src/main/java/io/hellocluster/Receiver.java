package io.hellocluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Subscribes to the greetings topic and feeds every greeting into the node's live stream, which all
 * connected clients share. Logs each greeting at INFO.
 */
public final class Receiver extends AbstractBehavior<Receiver.Command> {

  public interface Command {}

  private record Received(Greeting greeting) implements Command {}

  public static Behavior<Command> create(
      ActorRef<Topic.Command<Greeting>> topic, ActorRef<Greeting> live) {
    return Behaviors.setup(context -> new Receiver(context, topic, live));
  }

  private final ActorRef<Greeting> live;

  private Receiver(
      ActorContext<Command> context,
      ActorRef<Topic.Command<Greeting>> topic,
      ActorRef<Greeting> live) {
    super(context);
    this.live = live;
    topic.tell(Topic.subscribe(context.messageAdapter(Greeting.class, Received::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(Received.class, this::onReceived).build();
  }

  private Behavior<Command> onReceived(Received received) {
    Greeting g = received.greeting();
    getContext()
        .getLog()
        .info("Received [{}] seq [{}] from [{}]", g.text(), g.seq(), g.broadcaster());
    live.tell(g);
    return this;
  }
}
