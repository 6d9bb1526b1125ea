package io.hellocluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * Keeps the broadcaster's position in Pekko Distributed Data, written to and read from a majority
 * of nodes, so a new singleton sees every position its predecessor saved. The data lives only in
 * memory: when every node is gone, so is the numbering, and the next broadcaster starts a new
 * epoch.
 */
public final class ReplicatedSequenceStore implements SequenceStore {
  private static final Key<LWWRegister<Position>> KEY = LWWRegisterKey.create("greeting-sequence");

  /** A majority answers within milliseconds; past this the cluster is partitioned or starting. */
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private final ActorSystem<?> system;
  private final SelfUniqueAddress self;

  public ReplicatedSequenceStore(ActorSystem<?> system) {
    this.system = system;
    this.self = DistributedData.get(system).selfUniqueAddress();
  }

  @Override
  public CompletionStage<Optional<Position>> load() {
    CompletionStage<Replicator.GetResponse<LWWRegister<Position>>> response =
        AskPattern.ask(
            DistributedData.get(system).replicator(),
            replyTo -> new Replicator.Get<>(KEY, new Replicator.ReadMajority(TIMEOUT), replyTo),
            TIMEOUT.plusSeconds(1),
            system.scheduler());
    return response.thenApply(
        r -> {
          if (r instanceof Replicator.GetSuccess<LWWRegister<Position>> found) {
            return Optional.of(found.get(KEY).getValue());
          }
          if (r instanceof Replicator.NotFound) {
            return Optional.empty();
          }
          throw new IllegalStateException("no majority answered for the sequence: " + r);
        });
  }

  @Override
  public CompletionStage<Position> save(Position position) {
    CompletionStage<Replicator.UpdateResponse<LWWRegister<Position>>> response =
        AskPattern.ask(
            DistributedData.get(system).replicator(),
            replyTo ->
                new Replicator.Update<>(
                    KEY,
                    LWWRegister.create(self, position),
                    new Replicator.WriteMajority(TIMEOUT),
                    replyTo,
                    register -> register.withValue(self, position)),
            TIMEOUT.plusSeconds(1),
            system.scheduler());
    return response.thenApply(
        r -> {
          if (r instanceof Replicator.UpdateSuccess) {
            return position;
          }
          throw new IllegalStateException("no majority confirmed seq " + position.lastSeq());
        });
  }
}
