package io.hellocluster.tools.bench;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The results of one benchmark run, as printed and as written to JSON. Latencies are in
 * milliseconds, memory in kilobytes (as {@code /proc} reports it), CPU in percent of one core. The
 * measurement window starts once the ramp-up has ended.
 */
record Report(
    String startedAt,
    List<String> urls,
    Settings settings,
    Machine machine,
    Connections connections,
    Greetings greetings,
    Latency latency,
    Latency rampUpLatency,
    Ordering ordering,
    List<ProcessUse> receivers,
    ProcessUse bench) {

  /** What was asked for. */
  record Settings(
      int clients, double rampRate, int maxPending, double windowSeconds, int ioThreads) {}

  /**
   * The machine: CPUs, load averages (1, 5, 15 min) at start and end, and over the window the share
   * of CPU time busy and the share of time some task waited for a CPU (pressure).
   */
  record Machine(
      int cpus,
      String loadAtStart,
      String loadAtEnd,
      Double busyPercent,
      Double cpuPressurePercent) {}

  /**
   * Client connections: refused ones never opened (by reason, e.g. {@code HTTP 503}), dropped ones
   * opened and then ended before the benchmark closed them (by reason).
   */
  record Connections(
      int attempted,
      int connected,
      int refused,
      int dropped,
      int openAtEnd,
      double rampUpSeconds,
      Map<String, Integer> refusedBy,
      Map<String, Integer> droppedBy,
      Map<String, Integer> openAtEndByUrl) {}

  /**
   * Greetings received: in the window, and over the whole run; per client in the window, over the
   * clients open at its end; and the rate at which the broadcaster sent them (see {@link
   * Measurements#broadcastPerSecond()}), times the window: what each such client should have got.
   */
  record Greetings(
      long inWindow,
      long total,
      double perSecondInWindow,
      double broadcastPerSecond,
      long broadcastInWindow,
      long perClientMin,
      long perClientMedian,
      long perClientMax,
      long unparsable) {}

  /** A latency distribution: arrival time minus the greeting's {@code sentAt}. */
  record Latency(
      long count, double p50, double p90, double p99, double p999, double max, double mean) {
    static Latency of(Histogram micros) {
      if (micros.getTotalCount() == 0) {
        return new Latency(0, 0, 0, 0, 0, 0, 0);
      }
      return new Latency(
          micros.getTotalCount(),
          millis(micros.getValueAtPercentile(50)),
          millis(micros.getValueAtPercentile(90)),
          millis(micros.getValueAtPercentile(99)),
          millis(micros.getValueAtPercentile(99.9)),
          millis(micros.getMaxValue()),
          micros.getMean() / 1000.0);
    }

    private static double millis(long micros) {
      return micros / 1000.0;
    }
  }

  /**
   * Numbering as the clients saw it, summed over clients (see {@link SequenceCheck}), plus the
   * server's own notices: {@code gap} messages and the greetings they say are lost, {@code reset}
   * and {@code bye} messages. Latencies below zero mean the clocks disagree; they count as 0.
   */
  record Ordering(
      long outOfOrder,
      long duplicates,
      long gaps,
      long missing,
      long epochChanges,
      long gapNotices,
      long missedNotified,
      long resets,
      long byes,
      long latenciesBelowZero) {}

  /** One process's memory before the ramp-up, with every client connected, and at the end. */
  record ProcessUse(
      String label,
      String pid,
      Long rssBeforeKb,
      Long rssConnectedKb,
      Long rssEndKb,
      Long peakRssKb,
      Double cpuPercentInWindow) {}
}
