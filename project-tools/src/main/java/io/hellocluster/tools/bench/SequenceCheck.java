package io.hellocluster.tools.bench;

/**
 * One client's check of the numbering it receives: within an epoch, each greeting should carry the
 * previous seq plus one. A seq equal to the last one is a duplicate, a lower one is out of order
 * (an older duplicate counts as out of order too: only the last seq is remembered), a higher one
 * skips the greetings in between. A new epoch restarts the check. Not thread-safe.
 */
final class SequenceCheck {
  private String epoch;
  private long lastSeq;
  private long received;
  private long outOfOrder;
  private long duplicates;
  private long gaps;
  private long missing;
  private long epochChanges;

  /** Counts one greeting. */
  void accept(String greetingEpoch, long seq) {
    received++;
    if (epoch == null || !epoch.equals(greetingEpoch)) {
      if (epoch != null) {
        epochChanges++;
      }
      epoch = greetingEpoch;
      lastSeq = seq;
    } else if (seq == lastSeq) {
      duplicates++;
    } else if (seq < lastSeq) {
      outOfOrder++;
    } else {
      if (seq > lastSeq + 1) {
        gaps++;
        missing += seq - lastSeq - 1;
      }
      lastSeq = seq;
    }
  }

  long received() {
    return received;
  }

  long outOfOrder() {
    return outOfOrder;
  }

  long duplicates() {
    return duplicates;
  }

  /** Places where greetings were skipped. */
  long gaps() {
    return gaps;
  }

  /** Greetings skipped over all gaps. */
  long missing() {
    return missing;
  }

  long epochChanges() {
    return epochChanges;
  }
}
