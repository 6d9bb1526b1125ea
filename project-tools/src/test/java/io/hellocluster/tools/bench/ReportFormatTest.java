package io.hellocluster.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ReportFormatTest {
  private static final Report REPORT =
      new Report(
          "2026-12-04T02:00:00Z",
          List.of("ws://127.0.0.1:18080/feed", "ws://127.0.0.1:18081/feed"),
          new Report.Settings(1000, 200, 64, 60.0, 2),
          new Report.Machine(2, "3.11 4.64 4.13", "5.00 4.80 4.20", 87.4, 41.6),
          new Report.Connections(
              1000,
              990,
              10,
              2,
              988,
              5.2,
              Map.of("HTTP 503", 10),
              Map.of("closed by the server with 1011", 2),
              Map.of("ws://127.0.0.1:18080/feed", 494, "ws://127.0.0.1:18081/feed", 494)),
          new Report.Greetings(395_000, 420_000, 6583.3, 6.67, 400, 398, 400, 401, 0),
          new Report.Latency(395_000, 1.234, 2.01, 5.67, 9.87, 12.3, 1.4),
          new Report.Latency(25_000, 20.5, 80, 150, 300, 450, 40),
          new Report.Ordering(1, 0, 3, 7, 0, 2, 5, 0, 0, 0),
          List.of(
              new Report.ProcessUse(
                  "receiver-1", "111", 102_400L, 204_800L, 256_000L, 260_000L, 45.0)),
          new Report.ProcessUse("bench", "999", 51_200L, 150_000L, 160_000L, 170_000L, 30.0));

  @Test
  void textGivesConnectionsPercentilesOrderingAndMemory() {
    String text = ReportFormat.text(REPORT);
    assertTrue(
        text.contains("1000 attempted, 990 connected, 10 refused, 2 dropped, 988 open at end"),
        text);
    assertTrue(text.contains("  refused    HTTP 503: 10"), text);
    assertTrue(text.contains("p50 1.23  p90 2.01  p99 5.67  p99.9 9.87  max 12.3"), text);
    assertTrue(text.contains("1 out of order, 0 duplicates, 3 gaps (7 missing)"), text);
    assertTrue(text.contains("2 gap notices (5 missed)"), text);
    assertTrue(text.contains("the broadcaster sent 6.67/s (400 in the window)"), text);
    assertTrue(text.contains("receiver-1 (pid 111): RSS 100 MB before, 200 MB connected"), text);
    assertTrue(text.contains("load 3.11 4.64 4.13 at start"), text);
    assertTrue(text.contains("in the window 87% busy, CPU pressure 42%"), text);
  }

  @Test
  void csvRowHasAValueForEveryColumn() {
    String[] header = ReportFormat.csvHeader().strip().split(",", -1);
    String[] row = ReportFormat.csvRow(REPORT).strip().split(",", -1);
    assertEquals(header.length, row.length);
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < header.length; i++) {
      values.put(header[i], row[i]);
    }
    assertEquals("1000", values.get("clients"));
    assertEquals("10", values.get("refused"));
    assertEquals("6.67", values.get("broadcast_per_s"));
    assertEquals("5.67", values.get("p99_ms"));
    assertEquals("9.87", values.get("p999_ms"));
    assertEquals("7", values.get("missing"));
    assertEquals("102400", values.get("receivers_rss_before_kb"));
    assertEquals("3.11 4.64 4.13", values.get("load_at_start"));
    assertEquals("42", values.get("cpu_pressure_pct"));
  }

  @Test
  void jsonKeepsTheNestedFigures() throws Exception {
    JsonNode json = new ObjectMapper().readTree(ReportFormat.json(REPORT));
    assertEquals(5.67, json.path("latency").path("p99").asDouble());
    assertEquals(10, json.path("connections").path("refusedBy").path("HTTP 503").asInt());
    assertEquals(256_000, json.path("receivers").path(0).path("rssEndKb").asLong());
  }

  @Test
  void latencyPercentilesComeFromTheHistogramInMilliseconds() {
    Histogram micros = new Histogram(3);
    for (int i = 1; i <= 1000; i++) {
      micros.recordValue(i * 100L);
    }
    Report.Latency latency = Report.Latency.of(micros);
    assertEquals(1000, latency.count());
    assertEquals(50.0, latency.p50(), 0.1);
    assertEquals(99.9, latency.p999(), 0.1);
    assertEquals(100.0, latency.max(), 0.1);
    assertEquals(0, Report.Latency.of(new Histogram(3)).count());
  }

  @Test
  void numbersKeepThreeSignificantDigits() {
    assertEquals("0.412", ReportFormat.number(0.4123));
    assertEquals("12.3", ReportFormat.number(12.34));
    assertEquals("1450", ReportFormat.number(1450.2));
    assertEquals("1.5", ReportFormat.number(1.5));
    assertEquals("200", ReportFormat.number(200.0));
  }
}
