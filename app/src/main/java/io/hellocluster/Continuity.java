package io.hellocluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One client's view of the numbering: turns the greetings it reads (history first, then live) into
 * what it is sent, dropping duplicates and saying explicitly where greetings are missing or the
 * numbering restarted. Not thread-safe: one instance per client stream.
 */
final class Continuity {
  private final String receiver;
  private String epoch;
  private long lastSeq;

  Continuity(Optional<ResumePoint> since, String receiver) {
    this.receiver = receiver;
    this.epoch = since.map(ResumePoint::epoch).orElse(null);
    this.lastSeq = since.map(ResumePoint::seq).orElse(0L);
  }

  List<FeedMessage> next(Greeting g) {
    List<FeedMessage> out = new ArrayList<>(2);
    if (epoch == null) {
      epoch = g.epoch();
    } else if (!epoch.equals(g.epoch())) {
      out.add(FeedMessage.Reset.of(g.epoch(), epoch));
      epoch = g.epoch();
    } else if (g.seq() <= lastSeq) {
      return List.of();
    } else if (g.seq() > lastSeq + 1) {
      out.add(FeedMessage.Gap.of(epoch, lastSeq, g.seq() - lastSeq - 1));
    }
    lastSeq = g.seq();
    out.add(FeedMessage.GreetingMessage.of(g, receiver));
    return out;
  }
}
