package io.hellocluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * The root of each node: spawns the topic, then whatever this node's roles call for — the
 * broadcaster singleton and/or the receiver with its HTTP feed.
 */
public final class Guardian {
  /**
   * Greetings the live stream holds for its slowest client before that client's own buffer takes
   * over; a power of two, as BroadcastHub requires.
   */
  private static final int HUB_BUFFER = 256;

  private Guardian() {}

  public static Behavior<Void> create(HelloSettings settings) {
    return Behaviors.setup(
        context -> {
          ActorRef<Topic.Command<Greeting>> topic =
              context.spawn(Topic.create(Greeting.class, "greetings"), "greetings-topic");
          if (settings.isBroadcaster()) {
            initBroadcaster(context.getSystem(), settings, topic);
          }
          if (settings.isReceiver()) {
            startReceiver(context, settings, topic);
          }
          return Behaviors.empty();
        });
  }

  private static void initBroadcaster(
      ActorSystem<?> system, HelloSettings settings, ActorRef<Topic.Command<Greeting>> topic) {
    Broadcaster.Settings broadcasting =
        new Broadcaster.Settings(
            settings.text(),
            settings.nodeName(),
            new RandomDelays(settings.minDelay(), settings.maxDelay(), new SplittableRandom()),
            Clock.systemUTC());
    Behavior<Broadcaster.Command> broadcaster =
        Broadcaster.create(broadcasting, topic, new ReplicatedSequenceStore(system));
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(broadcaster, "broadcaster")
                .withSettings(
                    ClusterSingletonSettings.create(system).withRole(HelloSettings.BROADCASTER)));
  }

  private static void startReceiver(
      ActorContext<Void> context, HelloSettings settings, ActorRef<Topic.Command<Greeting>> topic) {
    ActorSystem<Void> system = context.getSystem();
    // The hub never blocks on a client (each has its own failing buffer), so dropping here
    // only happens if the whole node falls behind.
    Pair<ActorRef<Greeting>, Source<Greeting, NotUsed>> live =
        ActorSource.<Greeting>actorRef(
                g -> false, g -> Optional.empty(), HUB_BUFFER, OverflowStrategy.dropHead())
            .toMat(BroadcastHub.of(Greeting.class, HUB_BUFFER), Keep.both())
            .run(system);
    // A consumer that never leaves keeps the hub draining, so clients that connect later start
    // at the live edge rather than at greetings buffered while nobody listened.
    live.second().runWith(Sink.ignore(), system);
    ActorRef<Receiver.Command> receiver =
        context.spawn(
            Receiver.create(topic, live.first(), settings.history(), Clock.systemUTC()),
            "receiver");
    ObjectMapper mapper =
        JacksonObjectMapperProvider.get(system).getOrCreate("feed", Optional.empty());
    FeedRoutes routes = new FeedRoutes(system, live.second(), receiver, settings, mapper);
    HttpServer.start(system, routes, settings);
  }
}
