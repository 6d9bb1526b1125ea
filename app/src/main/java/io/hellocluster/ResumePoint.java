package io.hellocluster;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last greeting a client saw, as {@code <epoch>:<seq>}: the {@code since} query parameter of
 * {@code /feed} and the {@code Last-Event-ID} of {@code /events}.
 */
public record ResumePoint(String epoch, long seq) {
  private static final Pattern FORMAT = Pattern.compile("([0-9a-f]{8}):([0-9]{1,16})");

  /** Seq values the page handles exactly: JavaScript numbers are exact up to 2^53 - 1. */
  static final long MAX_SEQ = (1L << 53) - 1;

  /** Parses a resume point; the exception's message says what is wrong and what is expected. */
  public static Optional<ResumePoint> parse(Optional<String> value) {
    if (value.isEmpty() || value.get().isEmpty()) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(value.get());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + abbreviate(value.get())
              + "' is not <epoch>:<seq> (8 hex digits, a colon, a seq"
              + " of at most 16 digits), e.g. 3f2a9c1b:42");
    }
    long seq = Long.parseLong(m.group(2));
    if (seq > MAX_SEQ) {
      throw new IllegalArgumentException("seq " + seq + " is beyond " + MAX_SEQ);
    }
    return Optional.of(new ResumePoint(m.group(1), seq));
  }

  public String id() {
    return epoch + ":" + seq;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
