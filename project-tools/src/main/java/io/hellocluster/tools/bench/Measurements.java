package io.hellocluster.tools.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What all clients record into, from whichever threads deliver their messages: one latency
 * recorder, read out once per phase (ramp-up, window), and the phase flags the clients consult.
 */
final class Measurements {
  /** Microseconds with three significant digits; the range grows as needed. */
  private final Recorder latencyMicros = new Recorder(3);

  private final LongAdder belowZero = new LongAdder();
  private final LongAdder greetingsInWindow = new LongAdder();
  private final LongAccumulator lowestInWindow = new LongAccumulator(Math::min, Long.MAX_VALUE);
  private final LongAccumulator highestInWindow = new LongAccumulator(Math::max, 0);
  private final LongAccumulator earliestSentInWindow =
      new LongAccumulator(Math::min, Long.MAX_VALUE);
  private final LongAccumulator latestSentInWindow = new LongAccumulator(Math::max, Long.MIN_VALUE);
  private final AtomicLong totalGreetings = new AtomicLong();
  private volatile boolean inWindow;
  private volatile boolean stopping;

  /**
   * Records one greeting: its seq, when it was sent (microseconds since the epoch) and its latency;
   * a negative latency (clocks disagree) counts as 0.
   */
  void greeting(long seq, long sentAtMicros, long latencyMicros) {
    if (latencyMicros < 0) {
      belowZero.increment();
      latencyMicros = 0;
    }
    this.latencyMicros.recordValue(latencyMicros);
    totalGreetings.incrementAndGet();
    if (inWindow) {
      greetingsInWindow.increment();
      lowestInWindow.accumulate(seq);
      highestInWindow.accumulate(seq);
      earliestSentInWindow.accumulate(sentAtMicros);
      latestSentInWindow.accumulate(sentAtMicros);
    }
  }

  /** Ends the ramp-up: returns its latencies; from now on greetings count in the window. */
  Histogram startWindow() {
    inWindow = true;
    return latencyMicros.getIntervalHistogram();
  }

  /** Ends the window and returns its latencies. */
  Histogram endWindow() {
    inWindow = false;
    return latencyMicros.getIntervalHistogram();
  }

  boolean inWindow() {
    return inWindow;
  }

  /** From now on connections that end were closed by the benchmark, not dropped. */
  void stop() {
    stopping = true;
  }

  boolean stopping() {
    return stopping;
  }

  /**
   * The broadcaster's rate, in greetings per second, from the lowest and highest seq that arrived
   * in the window and their send times (seq grows with sentAt). Unlike counting the seqs in the
   * window, a few clients far behind do not inflate it. Zero when fewer than two arrived;
   * meaningless across an epoch change.
   */
  double broadcastPerSecond() {
    long lowest = lowestInWindow.get();
    long span = latestSentInWindow.get() - earliestSentInWindow.get();
    if (lowest == Long.MAX_VALUE || span <= 0) {
      return 0;
    }
    return (highestInWindow.get() - lowest) / (span / 1e6);
  }

  long greetingsInWindow() {
    return greetingsInWindow.sum();
  }

  long totalGreetings() {
    return totalGreetings.get();
  }

  long belowZero() {
    return belowZero.sum();
  }
}
