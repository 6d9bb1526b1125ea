package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class BackfillTest {
  private final AtomicInteger asked = new AtomicInteger();

  @Test
  void aHoleIsFilledFromTheHistoryInOrder() {
    Backfill backfill = backfill(Optional.of(new ResumePoint("aaaaaaaa", 3)), held(1, 10));
    assertEquals(List.of(4L, 5L, 6L), seqs(backfill, greeting("aaaaaaaa", 6)));
    assertEquals(1, asked.get());
  }

  @Test
  void consecutiveGreetingsAndDuplicatesNeverAskTheHistory() {
    Backfill backfill = backfill(Optional.empty(), held(1, 10));
    assertEquals(List.of(7L), seqs(backfill, greeting("aaaaaaaa", 7)));
    assertEquals(List.of(8L), seqs(backfill, greeting("aaaaaaaa", 8)));
    assertEquals(List.of(8L), seqs(backfill, greeting("aaaaaaaa", 8)));
    assertEquals(0, asked.get());
  }

  @Test
  void whatTheHistoryNoLongerHoldsStaysAHoleForContinuityToReport() {
    Backfill backfill = backfill(Optional.of(new ResumePoint("aaaaaaaa", 1)), held(5, 9));
    assertEquals(List.of(5L, 6L, 7L, 8L, 9L), seqs(backfill, greeting("aaaaaaaa", 9)));
  }

  @Test
  void anotherEpochIsPassedOnWithoutAskingTheHistory() {
    Backfill backfill = backfill(Optional.of(new ResumePoint("aaaaaaaa", 3)), held(1, 10));
    assertEquals(List.of(40L), seqs(backfill, greeting("bbbbbbbb", 40)));
    assertEquals(0, asked.get());
    assertEquals(List.of(41L), seqs(backfill, greeting("bbbbbbbb", 41)));
  }

  private Backfill backfill(Optional<ResumePoint> since, List<Greeting> history) {
    return new Backfill(
        since,
        () -> {
          asked.incrementAndGet();
          return CompletableFuture.completedFuture(history);
        });
  }

  private static List<Greeting> held(long from, long to) {
    return LongStream.rangeClosed(from, to).mapToObj(seq -> greeting("aaaaaaaa", seq)).toList();
  }

  private static List<Long> seqs(Backfill backfill, Greeting g) {
    return backfill.fill(g).toCompletableFuture().join().stream().map(Greeting::seq).toList();
  }

  private static Greeting greeting(String epoch, long seq) {
    return new Greeting(epoch, seq, "Hello world", Instant.EPOCH, 1000, "b");
  }
}
