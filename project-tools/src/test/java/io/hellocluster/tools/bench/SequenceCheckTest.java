package io.hellocluster.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SequenceCheckTest {
  @Test
  void findsNothingWrongInAnUnbrokenSequence() {
    SequenceCheck check = feed("e1", 41, 42, 43, 44);
    assertEquals(4, check.received());
    assertEquals(0, check.outOfOrder() + check.duplicates() + check.gaps() + check.missing());
  }

  @Test
  void countsDuplicatesOutOfOrderAndGapsApart() {
    SequenceCheck check = feed("e1", 1, 2, 2, 5, 3, 6, 9);
    assertEquals(7, check.received());
    assertEquals(1, check.duplicates());
    assertEquals(1, check.outOfOrder());
    assertEquals(2, check.gaps());
    // 3 and 4 before 5, then 7 and 8 before 9; the late 3 does not fill its gap.
    assertEquals(4, check.missing());
  }

  @Test
  void startsOverWhenTheEpochChanges() {
    SequenceCheck check = feed("old", 7, 8);
    check.accept("new", 1);
    check.accept("new", 2);
    assertEquals(1, check.epochChanges());
    assertEquals(0, check.outOfOrder() + check.gaps());
  }

  private static SequenceCheck feed(String epoch, long... seqs) {
    SequenceCheck check = new SequenceCheck();
    for (long seq : seqs) {
      check.accept(epoch, seq);
    }
    return check;
  }
}
