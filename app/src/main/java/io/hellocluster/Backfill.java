package io.hellocluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Fills a hole in one client's greetings from the receiver's history before {@link Continuity}
 * would report it as missed. A client's live subscription to the shared hub takes effect a moment
 * after its stream starts, so a greeting can fall between the history it was first sent and the
 * first live greeting it sees. The receiver records each greeting in its history before it feeds
 * the hub, so asking again when a hole shows up finds whatever the history still holds. Not
 * thread-safe: one instance per client stream, called one greeting at a time.
 */
final class Backfill {
  private final Supplier<CompletionStage<List<Greeting>>> history;
  private String epoch;
  private long lastSeq;

  Backfill(Optional<ResumePoint> since, Supplier<CompletionStage<List<Greeting>>> history) {
    this.history = history;
    this.epoch = since.map(ResumePoint::epoch).orElse(null);
    this.lastSeq = since.map(ResumePoint::seq).orElse(0L);
  }

  /** The greetings to pass on for {@code g}: those missing just before it, if known, then it. */
  CompletionStage<List<Greeting>> fill(Greeting g) {
    boolean sameEpoch = g.epoch().equals(epoch);
    if (sameEpoch && g.seq() <= lastSeq) {
      return CompletableFuture.completedFuture(List.of(g)); // a duplicate, dropped downstream
    }
    long after = lastSeq;
    epoch = g.epoch();
    lastSeq = g.seq();
    if (!sameEpoch || g.seq() == after + 1) {
      return CompletableFuture.completedFuture(List.of(g));
    }
    return history
        .get()
        .thenApply(
            held -> {
              List<Greeting> out = new ArrayList<>();
              for (Greeting h : held) {
                if (h.epoch().equals(g.epoch()) && h.seq() > after && h.seq() < g.seq()) {
                  out.add(h);
                }
              }
              out.add(g);
              return out;
            });
  }
}
