package io.hellocluster;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A store for tests of one broadcaster alone: remembers the last position in memory. */
final class InMemorySequenceStore implements SequenceStore {
  private volatile Position last;

  InMemorySequenceStore(Position start) {
    this.last = start;
  }

  @Override
  public CompletionStage<Optional<Position>> load() {
    return CompletableFuture.completedFuture(Optional.ofNullable(last));
  }

  @Override
  public CompletionStage<Position> save(Position position) {
    last = position;
    return CompletableFuture.completedFuture(position);
  }

  Position last() {
    return last;
  }
}
