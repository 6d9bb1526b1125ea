package io.hellocluster.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FeedBenchOptionsTest {
  // Each run is bounded in case validation ever lets one through: it would then end fast.
  private static final String[] BOUNDS = {"--duration", "1s", "--ramp-timeout", "1s"};

  @Test
  void refusesUrlsThatAreNotOnLoopback() {
    assertRefused("is not on a loopback address", "--url", "ws://192.0.2.1:8080/feed");
  }

  @Test
  void refusesUrlsThatAreNotWebSockets() {
    assertRefused("must be ws://", "--url", "http://127.0.0.1:8080/feed");
  }

  @Test
  void refusesClientCountsOutOfRange() {
    assertRefused("--clients must be between 1 and 100000", "--clients", "0");
  }

  @Test
  void refusesDurationsWithoutAUnit() {
    assertRefused("is not a duration", "--duration", "60");
  }

  @Test
  void refusesMalformedProcessIds() {
    assertRefused("--pid takes a process ID", "--pid", "receiver-1");
  }

  @Test
  void refusesToAppendToACsvFileWithOtherColumns(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("results.csv"), "clients,p99_ms\n100,5.1\n");
    assertRefused("has other columns", "--csv", csv.toString());
  }

  private static void assertRefused(String expected, String... args) {
    CommandLine cmd = FeedBench.commandLine();
    StringWriter err = new StringWriter();
    cmd.setErr(new PrintWriter(err, true));
    String[] all = new String[BOUNDS.length + args.length];
    System.arraycopy(BOUNDS, 0, all, 0, BOUNDS.length);
    System.arraycopy(args, 0, all, BOUNDS.length, args.length);
    int status = cmd.execute(all);
    assertEquals(2, status, err::toString);
    assertTrue(err.toString().contains(expected), err::toString);
  }
}
