package io.hellocluster;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Publishes a greeting to the topic after each randomly drawn delay. Runs as a cluster singleton,
 * so one instance broadcasts at a time; it continues the numbering that the {@link SequenceStore}
 * holds, and saves each seq before publishing it so a successor never reuses one.
 *
 * <p>Delivery guarantee: none beyond the topic's at-most-once; receivers bridge gaps from history.
 * A broadcaster that cannot get a seq confirmed by a majority publishes nothing until it can, so
 * the broadcaster stranded in a partition's minority stays silent until it is downed.
 */
public final class Broadcaster {

  public interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Loaded(Optional<SequenceStore.Position> position, Throwable failure)
      implements Command {}

  private record Saved(SequenceStore.Position position, Throwable failure) implements Command {}

  /** What a broadcaster says, as whom, and how it picks its waits. */
  public record Settings(String text, String nodeName, RandomDelays delays, Clock clock) {}

  public static Behavior<Command> create(
      Settings settings, ActorRef<Topic.Command<Greeting>> topic, SequenceStore store) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new Broadcaster(context, timers, settings, topic, store).loading()));
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final ActorRef<Topic.Command<Greeting>> topic;
  private final SequenceStore store;
  private Duration pendingDelay;

  private Broadcaster(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Settings settings,
      ActorRef<Topic.Command<Greeting>> topic,
      SequenceStore store) {
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.topic = topic;
    this.store = store;
  }

  private Behavior<Command> loading() {
    context.pipeToSelf(store.load(), Loaded::new);
    return Behaviors.receive(Command.class).onMessage(Loaded.class, this::onLoaded).build();
  }

  private Behavior<Command> onLoaded(Loaded loaded) {
    SequenceStore.Position start;
    if (loaded.failure() != null) {
      // Without a majority the last seq is unknown: a new epoch tells clients so honestly.
      start = newEpoch();
      context
          .getLog()
          .warn(
              "Cannot read the sequence ({}), starting epoch [{}]",
              loaded.failure().getMessage(),
              start.epoch());
    } else {
      start = loaded.position().orElseGet(Broadcaster::newEpoch);
    }
    scheduleNext();
    context
        .getLog()
        .info(
            "Broadcaster active on [{}], epoch [{}] after seq [{}]",
            settings.nodeName(),
            start.epoch(),
            start.lastSeq());
    return waiting(start);
  }

  /** Waiting for the timer; {@code last} is the position already published. */
  private Behavior<Command> waiting(SequenceStore.Position last) {
    return Behaviors.receive(Command.class).onMessage(Tick.class, tick -> onTick(last)).build();
  }

  private Behavior<Command> onTick(SequenceStore.Position last) {
    SequenceStore.Position next = last.next();
    context.pipeToSelf(store.save(next), (saved, failure) -> new Saved(next, failure));
    return Behaviors.receive(Command.class)
        .onMessage(Saved.class, saved -> onSaved(last, saved))
        .build();
  }

  private Behavior<Command> onSaved(SequenceStore.Position last, Saved saved) {
    if (saved.failure() != null) {
      // Without a majority this node may be on the minority side of a partition, where the
      // majority's broadcaster would never learn this seq and would use it again: stay silent.
      context
          .getLog()
          .warn(
              "Not publishing seq [{}] that no majority confirmed ({}); retrying after the next"
                  + " delay",
              saved.position().lastSeq(),
              saved.failure().getMessage());
      scheduleNext();
      return waiting(last);
    }
    SequenceStore.Position position = saved.position();
    Greeting greeting =
        new Greeting(
            position.epoch(),
            position.lastSeq(),
            settings.text(),
            settings.clock().instant(),
            pendingDelay.toMillis(),
            settings.nodeName());
    // Schedule first: once a subscriber sees this greeting, the next wait has begun.
    scheduleNext();
    topic.tell(Topic.publish(greeting));
    context
        .getLog()
        .debug("Published seq [{}] after [{}] ms", position.lastSeq(), greeting.delayMillis());
    return waiting(position);
  }

  private void scheduleNext() {
    pendingDelay = settings.delays().next();
    timers.startSingleTimer(Tick.INSTANCE, pendingDelay);
  }

  private static SequenceStore.Position newEpoch() {
    return new SequenceStore.Position(UUID.randomUUID().toString().substring(0, 8), 0);
  }
}
