package io.hellocluster;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** A store for tests of one broadcaster alone: remembers the last position in memory. */
final class InMemorySequenceStore implements SequenceStore {
  private volatile Position last;
  private final AtomicInteger failingSaves = new AtomicInteger();

  InMemorySequenceStore(Position start) {
    this.last = start;
  }

  @Override
  public CompletionStage<Optional<Position>> load() {
    return CompletableFuture.completedFuture(Optional.ofNullable(last));
  }

  @Override
  public CompletionStage<Position> save(Position position) {
    if (failingSaves.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("no majority confirmed seq " + position.lastSeq()));
    }
    last = position;
    return CompletableFuture.completedFuture(position);
  }

  /** Makes the next {@code count} saves fail, as when no majority answers. */
  void failNextSaves(int count) {
    failingSaves.set(count);
  }

  Position last() {
    return last;
  }
}
