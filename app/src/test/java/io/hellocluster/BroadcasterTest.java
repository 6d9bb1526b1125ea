package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class BroadcasterTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ManualTime.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local")));
  private static final ManualTime manualTime = ManualTime.get(testKit.system());
  private static final Duration MIN = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(10);
  private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void publishesNothingBeforeTheDrawnDelayAndOneGreetingExactlyAtIt() {
    TestProbe<Greeting> subscriber = testKit.createTestProbe();
    ActorRef<Topic.Command<Greeting>> topic = subscribedTopic("exact-timing", subscriber);
    RandomDelays expected = new RandomDelays(MIN, MAX, new SplittableRandom(7));

    InMemorySequenceStore store =
        startBroadcaster(topic, new RandomDelays(MIN, MAX, new SplittableRandom(7)), 41);

    for (long seq = 42; seq < 42 + 20; seq++) {
      Duration delay = expected.next();
      manualTime.expectNoMessageFor(delay.minusMillis(1), subscriber);
      manualTime.timePasses(Duration.ofMillis(1));
      Greeting greeting = subscriber.expectMessageClass(Greeting.class);
      assertEquals(
          new Greeting("epoch-a", seq, "Hello world", NOW, delay.toMillis(), "node-a"), greeting);
      subscriber.expectNoMessage(Duration.ZERO);
      assertEquals(new SequenceStore.Position("epoch-a", seq), store.last());
    }
  }

  @Test
  void startsANewEpochWhenNoNumberingExistsYet() {
    TestProbe<Greeting> subscriber = testKit.createTestProbe();
    ActorRef<Topic.Command<Greeting>> topic = subscribedTopic("new-epoch", subscriber);
    InMemorySequenceStore store = new InMemorySequenceStore(null);
    Broadcaster.Settings settings =
        new Broadcaster.Settings(
            "Hello world",
            "node-b",
            new RandomDelays(MIN, MIN, new SplittableRandom(1)),
            Clock.fixed(NOW, ZoneOffset.UTC));
    LoggingTestKit.info("after seq [0]")
        .expect(testKit.system(), () -> testKit.spawn(Broadcaster.create(settings, topic, store)));

    manualTime.timePasses(MIN);
    Greeting first = subscriber.expectMessageClass(Greeting.class);
    assertEquals(1, first.seq());
    assertEquals(8, first.epoch().length());
    assertEquals(new SequenceStore.Position(first.epoch(), 1), store.last());
  }

  @Test
  void publishesNothingForASeqNoMajorityConfirmedAndTriesItAgainAfterTheNextDelay() {
    TestProbe<Greeting> subscriber = testKit.createTestProbe();
    ActorRef<Topic.Command<Greeting>> topic = subscribedTopic("no-majority", subscriber);
    RandomDelays expected = new RandomDelays(MIN, MAX, new SplittableRandom(11));
    InMemorySequenceStore store =
        startBroadcaster(topic, new RandomDelays(MIN, MAX, new SplittableRandom(11)), 41);
    store.failNextSaves(1);

    Duration first = expected.next();
    manualTime.expectNoMessageFor(first.minusMillis(1), subscriber);
    LoggingTestKit.warn("Not publishing seq [42]")
        .expect(testKit.system(), () -> advance(Duration.ofMillis(1)));
    subscriber.expectNoMessage(Duration.ZERO);
    assertEquals(new SequenceStore.Position("epoch-a", 41), store.last());

    Duration second = expected.next();
    manualTime.expectNoMessageFor(second.minusMillis(1), subscriber);
    manualTime.timePasses(Duration.ofMillis(1));
    Greeting retried = subscriber.expectMessageClass(Greeting.class);
    assertEquals(42, retried.seq(), "the seq that failed is used, not skipped");
    assertEquals(second.toMillis(), retried.delayMillis());
  }

  private static Void advance(Duration d) {
    manualTime.timePasses(d);
    return null;
  }

  private static InMemorySequenceStore startBroadcaster(
      ActorRef<Topic.Command<Greeting>> topic, RandomDelays delays, long lastSeq) {
    InMemorySequenceStore store =
        new InMemorySequenceStore(new SequenceStore.Position("epoch-a", lastSeq));
    Broadcaster.Settings settings =
        new Broadcaster.Settings("Hello world", "node-a", delays, Clock.fixed(NOW, ZoneOffset.UTC));
    // Time must not move before the broadcaster has scheduled its first greeting.
    LoggingTestKit.info("Broadcaster active")
        .expect(testKit.system(), () -> testKit.spawn(Broadcaster.create(settings, topic, store)));
    return store;
  }

  private static ActorRef<Topic.Command<Greeting>> subscribedTopic(
      String name, TestProbe<Greeting> subscriber) {
    ActorRef<Topic.Command<Greeting>> topic = testKit.spawn(Topic.create(Greeting.class, name));
    topic.tell(Topic.subscribe(subscriber.ref()));
    TestProbe<Topic.TopicStats> stats = testKit.createTestProbe();
    stats.awaitAssert(
        () -> {
          topic.tell(Topic.getTopicStats(stats.ref()));
          assertEquals(1, stats.expectMessageClass(Topic.TopicStats.class).localSubscriberCount());
          return null;
        });
    return topic;
  }
}
