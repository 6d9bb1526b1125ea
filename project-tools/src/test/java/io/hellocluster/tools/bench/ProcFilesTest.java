package io.hellocluster.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProcFilesTest {
  @Test
  void readsResidentAndPeakMemoryFromStatus() {
    String status = "Name:\tjava\nVmPeak:\t 3000000 kB\nVmHWM:\t  235000 kB\nVmRSS:\t  230000 kB\n";
    assertEquals(OptionalLong.of(230000), ProcFiles.statusKb(status, "VmRSS"));
    assertEquals(OptionalLong.of(235000), ProcFiles.statusKb(status, "VmHWM"));
    assertEquals(OptionalLong.empty(), ProcFiles.statusKb(status, "VmSwap"));
  }

  @Test
  void addsUserAndSystemTimeEvenWhenTheCommandNameHasSpacesAndParentheses() {
    String stat = "1234 (a (b) c) S 1 1 1 0 -1 4194560 100 0 0 0 250 50 7 9 20 0 30 0 1\n";
    assertEquals(300, ProcFiles.cpuTicks(stat));
  }

  @Test
  void countsIdleAndIowaitAsNotBusy() {
    ProcFiles.MachineSample sample =
        ProcFiles.machineTicks("cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 50 2 25 400 20 0 0 0 0 0\n");
    assertEquals(1000, sample.totalTicks());
    assertEquals(155, sample.busyTicks());
  }

  @Test
  void readsTheSoftOpenFilesLimitAndThePortRange() {
    String limits =
        "Limit                     Soft Limit           Hard Limit           Units     \n"
            + "Max processes             95000                95000                processes \n"
            + "Max open files            20000                40000                files     \n";
    assertEquals(OptionalLong.of(20000), ProcFiles.openFilesLimit(limits));
    assertEquals(
        OptionalLong.of(Long.MAX_VALUE),
        ProcFiles.openFilesLimit("Max open files  unlimited  unlimited  files\n"));
    assertEquals(OptionalLong.of(28232), ProcFiles.portRangeSize("32768\t60999\n"));
    assertEquals("1.72 2.34 3.18", ProcFiles.loadAverage("1.72 2.34 3.18 3/360 31450\n"));
    assertEquals(
        OptionalLong.of(1144968198),
        ProcFiles.somePressureMicros(
            "some avg10=21.83 avg60=48.35 avg300=43.75 total=1144968198\n"
                + "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"));
  }

  @Test
  void readsThisMachinesOwnFilesWhole() {
    assumeTrue(Files.exists(Path.of("/proc/self/status")), "not Linux");
    // A sysctl read whole, not only its first byte, gives thousands of ports.
    assertTrue(ProcFiles.ephemeralPorts().orElseThrow() > 1000);
    assertTrue(ProcFiles.openFilesLimit().orElseThrow() > 0);
    assertTrue(ProcFiles.process("self").orElseThrow().rssKb() > 1000);
    assertEquals(3, ProcFiles.loadAverage().orElseThrow().split(" ").length);
  }
}
