package io.hellocluster;

import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Publishes a greeting to the topic after each randomly drawn delay, numbering them from the
 * sequence it was started with. Runs as a cluster singleton, so one instance broadcasts at a time.
 *
 * <p>Delivery guarantee: none beyond the topic's at-most-once; receivers bridge gaps from history.
 */
public final class Broadcaster extends AbstractBehavior<Broadcaster.Command> {

  public interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** Where numbering starts: the epoch to publish in and the last seq already used in it. */
  public record Start(String epoch, long lastSeq) {}

  public static Behavior<Command> create(
      String text,
      String nodeName,
      RandomDelays delays,
      ActorRef<Topic.Command<Greeting>> topic,
      Start start,
      Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new Broadcaster(context, timers, text, nodeName, delays, topic, start, clock)));
  }

  private final TimerScheduler<Command> timers;
  private final String text;
  private final String nodeName;
  private final RandomDelays delays;
  private final ActorRef<Topic.Command<Greeting>> topic;
  private final String epoch;
  private final Clock clock;
  private long lastSeq;
  private Duration pendingDelay;

  private Broadcaster(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String text,
      String nodeName,
      RandomDelays delays,
      ActorRef<Topic.Command<Greeting>> topic,
      Start start,
      Clock clock) {
    super(context);
    this.timers = timers;
    this.text = text;
    this.nodeName = nodeName;
    this.delays = delays;
    this.topic = topic;
    this.epoch = start.epoch();
    this.lastSeq = start.lastSeq();
    this.clock = clock;
    context
        .getLog()
        .info("Broadcaster active on [{}], epoch [{}] after seq [{}]", nodeName, epoch, lastSeq);
    scheduleNext();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(Tick.class, tick -> onTick()).build();
  }

  private Behavior<Command> onTick() {
    lastSeq++;
    Greeting greeting =
        new Greeting(epoch, lastSeq, text, clock.instant(), pendingDelay.toMillis(), nodeName);
    topic.tell(Topic.publish(greeting));
    getContext()
        .getLog()
        .debug("Published seq [{}] after [{}] ms", lastSeq, pendingDelay.toMillis());
    scheduleNext();
    return this;
  }

  private void scheduleNext() {
    pendingDelay = delays.next();
    timers.startSingleTimer(Tick.INSTANCE, pendingDelay);
  }
}
