package io.hellocluster;

import java.time.Instant;

/** What clients receive on the feed, each as one JSON object whose {@code type} says which. */
public sealed interface FeedMessage {

  String type();

  /** A greeting, with the name of the receiving node that delivered it. */
  record GreetingMessage(
      String type,
      String epoch,
      long seq,
      String text,
      Instant sentAt,
      long delayMillis,
      String broadcaster,
      String receiver)
      implements FeedMessage {
    static GreetingMessage of(Greeting g, String receiver) {
      return new GreetingMessage(
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

  /** Greetings that cannot be delivered: neither the live stream nor the history has them. */
  record Gap(String type, String epoch, long afterSeq, long missed, String reason)
      implements FeedMessage {
    static Gap of(String epoch, long afterSeq, long missed) {
      return new Gap("gap", epoch, afterSeq, missed, "not in this receiver's history");
    }
  }

  /** The numbering restarted (the whole cluster restarted): seq values start again. */
  record Reset(String type, String epoch, String previousEpoch) implements FeedMessage {
    static Reset of(String epoch, String previousEpoch) {
      return new Reset("reset", epoch, previousEpoch);
    }
  }

  /** Sent before the server closes the connection on purpose; the client should reconnect. */
  record Bye(String type, String reason) implements FeedMessage {
    static Bye of(String reason) {
      return new Bye("bye", reason);
    }
  }
}
