package io.hellocluster.tools.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Renders a {@link Report} as text for people, as JSON, and as one CSV row per run. */
final class ReportFormat {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The CSV columns: one run a row, so that runs of several sizes append to one file. */
  static final List<String> CSV_COLUMNS =
      List.of(
          "started_at",
          "urls",
          "clients",
          "window_s",
          "connected",
          "refused",
          "dropped",
          "open_at_end",
          "greetings_in_window",
          "broadcast_per_s",
          "per_client_min",
          "per_client_max",
          "p50_ms",
          "p90_ms",
          "p99_ms",
          "p999_ms",
          "max_ms",
          "out_of_order",
          "duplicates",
          "gaps",
          "missing",
          "receivers_rss_before_kb",
          "receivers_rss_end_kb",
          "receivers_peak_rss_kb",
          "load_at_start",
          "load_at_end",
          "machine_busy_pct",
          "cpu_pressure_pct");

  private ReportFormat() {}

  static String text(Report r) {
    List<String> lines = new ArrayList<>();
    Report.Settings s = r.settings();
    Report.Machine m = r.machine();
    Report.Connections c = r.connections();
    Report.Greetings g = r.greetings();
    Report.Ordering o = r.ordering();
    lines.add("hello-cluster feed benchmark, started " + r.startedAt());
    lines.add(line("target", r.urls().size() + " URL(s): " + String.join(" ", r.urls())));
    lines.add(
        line(
            "asked",
            fmt(
                "%d clients, ramp-up %s/s (%d handshakes at once), %.1f s window, %d I/O threads",
                s.clients(),
                number(s.rampRate()),
                s.maxPending(),
                s.windowSeconds(),
                s.ioThreads())));
    lines.add(
        line(
            "machine",
            fmt(
                "%d CPUs; load %s at start, %s at end; in the window %s busy, CPU pressure %s",
                m.cpus(),
                m.loadAtStart(),
                m.loadAtEnd(),
                percent(m.busyPercent()),
                percent(m.cpuPressurePercent()))));
    lines.add(
        line(
            "connections",
            fmt(
                "%d attempted, %d connected, %d refused, %d dropped, %d open at end"
                    + " (ramp-up %.1f s)",
                c.attempted(),
                c.connected(),
                c.refused(),
                c.dropped(),
                c.openAtEnd(),
                c.rampUpSeconds())));
    if (!c.refusedBy().isEmpty()) {
      lines.add(line("  refused", counts(c.refusedBy())));
    }
    if (!c.droppedBy().isEmpty()) {
      lines.add(line("  dropped", counts(c.droppedBy())));
    }
    if (c.openAtEndByUrl().size() > 1) {
      lines.add(line("  per URL", counts(c.openAtEndByUrl())));
    }
    lines.add(
        line(
            "greetings",
            fmt(
                "%d in the window (%.0f/s), %d in all; the broadcaster sent %s/s (%d in the"
                    + " window)",
                g.inWindow(),
                g.perSecondInWindow(),
                g.total(),
                number(g.broadcastPerSecond()),
                g.broadcastInWindow())));
    lines.add(
        line(
            "  per client",
            fmt(
                "min %d, median %d, max %d (clients open at the end); %d unparsable",
                g.perClientMin(), g.perClientMedian(), g.perClientMax(), g.unparsable())));
    lines.add(line("latency ms", "window   " + latency(r.latency())));
    lines.add(line("", "ramp-up  " + latency(r.rampUpLatency())));
    lines.add(
        line(
            "numbering",
            fmt(
                "%d out of order, %d duplicates, %d gaps (%d missing), %d epoch changes",
                o.outOfOrder(), o.duplicates(), o.gaps(), o.missing(), o.epochChanges())));
    lines.add(
        line(
            "  server",
            fmt(
                "%d gap notices (%d missed), %d resets, %d byes; %d latencies below zero",
                o.gapNotices(), o.missedNotified(), o.resets(), o.byes(), o.latenciesBelowZero())));
    String heading = "memory, CPU";
    for (Report.ProcessUse p : r.receivers()) {
      lines.add(line(heading, process(p)));
      heading = "";
    }
    if (r.bench() != null) {
      lines.add(line(heading, process(r.bench())));
    }
    return String.join("\n", lines) + "\n";
  }

  static String json(Report r) {
    try {
      return JSON.writeValueAsString(r) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report as JSON", e);
    }
  }

  static String csvHeader() {
    return String.join(",", CSV_COLUMNS) + "\n";
  }

  static String csvRow(Report r) {
    Report.Connections c = r.connections();
    Report.Greetings g = r.greetings();
    Report.Latency l = r.latency();
    Report.Ordering o = r.ordering();
    List<Object> values =
        List.of(
            r.startedAt(),
            String.join(" ", r.urls()),
            r.settings().clients(),
            number(r.settings().windowSeconds()),
            c.connected(),
            c.refused(),
            c.dropped(),
            c.openAtEnd(),
            g.inWindow(),
            number(g.broadcastPerSecond()),
            g.perClientMin(),
            g.perClientMax(),
            number(l.p50()),
            number(l.p90()),
            number(l.p99()),
            number(l.p999()),
            number(l.max()),
            o.outOfOrder(),
            o.duplicates(),
            o.gaps(),
            o.missing(),
            sum(r.receivers(), Report.ProcessUse::rssBeforeKb),
            sum(r.receivers(), Report.ProcessUse::rssEndKb),
            sum(r.receivers(), Report.ProcessUse::peakRssKb),
            r.machine().loadAtStart(),
            r.machine().loadAtEnd(),
            r.machine().busyPercent() == null ? "" : fmt("%.0f", r.machine().busyPercent()),
            r.machine().cpuPressurePercent() == null
                ? ""
                : fmt("%.0f", r.machine().cpuPressurePercent()));
    return values.stream().map(v -> csvField(String.valueOf(v))).collect(Collectors.joining(","))
        + "\n";
  }

  private static String latency(Report.Latency l) {
    if (l.count() == 0) {
      return "no greetings";
    }
    return fmt(
        "n=%d  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s",
        l.count(),
        number(l.p50()),
        number(l.p90()),
        number(l.p99()),
        number(l.p999()),
        number(l.max()),
        number(l.mean()));
  }

  private static String process(Report.ProcessUse p) {
    return fmt(
        "%s (pid %s): RSS %s before, %s connected, %s at end, %s peak; CPU %s of a core",
        p.label(),
        p.pid(),
        megabytes(p.rssBeforeKb()),
        megabytes(p.rssConnectedKb()),
        megabytes(p.rssEndKb()),
        megabytes(p.peakRssKb()),
        percent(p.cpuPercentInWindow()));
  }

  private static String percent(Double value) {
    return value == null ? "?" : fmt("%.0f%%", value);
  }

  private static String megabytes(Long kb) {
    return kb == null ? "?" : fmt("%.0f MB", kb / 1024.0);
  }

  private static String counts(Map<String, Integer> counts) {
    return counts.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue())
        .collect(Collectors.joining(", "));
  }

  private static Object sum(
      List<Report.ProcessUse> processes, Function<Report.ProcessUse, Long> kb) {
    if (processes.isEmpty() || processes.stream().anyMatch(p -> kb.apply(p) == null)) {
      return "";
    }
    return processes.stream().mapToLong(kb::apply).sum();
  }

  /** Three significant digits at most, no trailing zeros: latencies read 0.412, 12.3, 1450. */
  static String number(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return String.valueOf((long) value);
    }
    String s;
    if (Math.abs(value) >= 100) {
      s = fmt("%.0f", value);
    } else if (Math.abs(value) >= 10) {
      s = fmt("%.1f", value);
    } else if (Math.abs(value) >= 1) {
      s = fmt("%.2f", value);
    } else {
      s = fmt("%.3f", value);
    }
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  private static String line(String heading, String text) {
    return fmt("%-13s%s", heading, text);
  }

  private static String csvField(String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
      return '"' + value.replace("\"", "\"\"") + '"';
    }
    return value;
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
