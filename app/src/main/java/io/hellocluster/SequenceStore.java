package io.hellocluster;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the broadcaster records how far its numbering has gone, so that whichever node runs the
 * broadcaster next continues it instead of starting again.
 */
public interface SequenceStore {

  /** The last position saved, or empty when there is none (a new cluster). */
  CompletionStage<Optional<Position>> load();

  /** Saves a position; completes once it is as durable as the store can make it. */
  CompletionStage<Position> save(Position position);

  /** The numbering's epoch and the last seq used in it. */
  record Position(String epoch, long lastSeq) implements JsonSerializable {
    Position next() {
      return new Position(epoch, lastSeq + 1);
    }
  }
}
