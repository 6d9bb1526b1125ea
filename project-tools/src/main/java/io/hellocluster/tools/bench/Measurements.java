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
  private final AtomicLong totalGreetings = new AtomicLong();
  private volatile boolean inWindow;
  private volatile boolean stopping;

  /** Records one greeting's latency; a negative one (clocks disagree) counts as 0. */
  void greeting(long seq, long latencyMicros) {
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
   * How many greetings were numbered from the first to the last that arrived in the window: what a
   * client connected throughout should have received, give or take those in flight at its edges.
   * Meaningless across an epoch change.
   */
  long numberedInWindow() {
    long lowest = lowestInWindow.get();
    return lowest == Long.MAX_VALUE ? 0 : highestInWindow.get() - lowest + 1;
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
