package io.hellocluster;

import java.time.Instant;

/**
 * What a client receives for each greeting, as one JSON object: the greeting plus the name of the
 * receiving node that delivered it.
 */
public record FeedEvent(
    String type,
    String epoch,
    long seq,
    String text,
    Instant sentAt,
    long delayMillis,
    String broadcaster,
    String receiver) {

  public static FeedEvent of(Greeting g, String receiver) {
    return new FeedEvent(
        "greeting",
        g.epoch(),
        g.seq(),
        g.text(),
        g.sentAt(),
        g.delayMillis(),
        g.broadcaster(),
        receiver);
  }
}
