package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** What the fault tests check about the feed messages their clients received. */
final class Greetings {
  private Greetings() {}

  static long seq(JsonNode greeting) {
    return greeting.path("seq").asLong();
  }

  static String type(JsonNode message) {
    return message.get("type").asText();
  }

  static List<JsonNode> ofType(List<JsonNode> messages, String type) {
    return messages.stream().filter(m -> type(m).equals(type)).toList();
  }

  /** Who sent a greeting and when: two greetings with one seq but another identity are a reuse. */
  static String identity(JsonNode greeting) {
    return greeting.get("broadcaster").asText() + "@" + greeting.get("sentAt").asText();
  }

  static void assertStrictlyIncreasing(List<JsonNode> greetings) {
    for (int i = 1; i < greetings.size(); i++) {
      assertTrue(
          seq(greetings.get(i)) > seq(greetings.get(i - 1)),
          "seq repeated or out of order at " + i + ": " + greetings);
    }
  }

  static void assertConsecutive(List<JsonNode> messages) {
    for (int i = 0; i < messages.size(); i++) {
      assertEquals("greeting", type(messages.get(i)), messages.get(i).toString());
      if (i > 0) {
        assertEquals(seq(messages.get(i - 1)) + 1, seq(messages.get(i)), "at " + i);
      }
    }
  }

  /** Fails when any seq of one epoch was given to two different greetings, on any client. */
  @SafeVarargs
  static void assertNoSeqReused(List<JsonNode>... received) {
    Map<String, String> bySeq = new HashMap<>();
    for (List<JsonNode> messages : received) {
      for (JsonNode g : ofType(messages, "greeting")) {
        String key = g.get("epoch").asText() + ":" + seq(g);
        String earlier = bySeq.putIfAbsent(key, identity(g));
        assertTrue(
            earlier == null || earlier.equals(identity(g)),
            "seq " + key + " was used twice: by " + earlier + " and by " + identity(g));
      }
    }
  }

  /** Reads messages until one satisfies {@code last}, which is included; each within a bound. */
  static List<JsonNode> until(FeedClient client, Duration each, Predicate<JsonNode> last) {
    List<JsonNode> read = new ArrayList<>();
    do {
      read.add(client.next(each));
    } while (!last.test(read.get(read.size() - 1)));
    return read;
  }
}
