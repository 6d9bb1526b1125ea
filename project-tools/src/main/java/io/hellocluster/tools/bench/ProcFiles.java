package io.hellocluster.tools.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the benchmark reads from Linux's {@code /proc}: resident memory and CPU time of processes,
 * the machine's load and busy time, and the limits that bound how many clients can connect. Every
 * reader returns empty when the file is missing (another OS, or a process that has exited); the
 * parsers are separate so they can be checked against sample text.
 */
final class ProcFiles {
  /**
   * Clock ticks per second in {@code /proc/<pid>/stat}: USER_HZ is 100 on every Linux architecture
   * that matters here, and Java cannot ask sysconf.
   */
  static final int TICKS_PER_SECOND = 100;

  private ProcFiles() {}

  /** A snapshot of one process: resident set size now and at its peak, and CPU time used. */
  record ProcessSample(long rssKb, long peakRssKb, long cpuTicks) {}

  /** Machine-wide CPU time since boot, in ticks, all cores together. */
  record MachineSample(long busyTicks, long totalTicks) {}

  static Optional<ProcessSample> process(String pid) {
    Optional<String> status = read(Path.of("/proc", pid, "status"));
    Optional<String> stat = read(Path.of("/proc", pid, "stat"));
    if (status.isEmpty() || stat.isEmpty()) {
      return Optional.empty();
    }
    OptionalLong rss = statusKb(status.get(), "VmRSS");
    OptionalLong peak = statusKb(status.get(), "VmHWM");
    if (rss.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new ProcessSample(rss.getAsLong(), peak.orElse(rss.getAsLong()), cpuTicks(stat.get())));
  }

  static Optional<MachineSample> machine() {
    return read(Path.of("/proc/stat")).map(ProcFiles::machineTicks);
  }

  /**
   * Microseconds since boot during which some runnable task waited for a CPU (pressure stall
   * information); empty on kernels without PSI.
   */
  static OptionalLong cpuPressureMicros() {
    return read(Path.of("/proc/pressure/cpu"))
        .map(ProcFiles::somePressureMicros)
        .orElse(OptionalLong.empty());
  }

  /** The 1, 5 and 15 minute load averages, as the kernel writes them. */
  static Optional<String> loadAverage() {
    return read(Path.of("/proc/loadavg")).map(ProcFiles::loadAverage);
  }

  /** This process's soft limit on open files. */
  static OptionalLong openFilesLimit() {
    return read(Path.of("/proc/self/limits"))
        .map(ProcFiles::openFilesLimit)
        .orElse(OptionalLong.empty());
  }

  /** How many local ports the kernel hands out to outgoing connections to one address:port. */
  static OptionalLong ephemeralPorts() {
    return read(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
        .map(ProcFiles::portRangeSize)
        .orElse(OptionalLong.empty());
  }

  /** A {@code Key: 123 kB} line of {@code /proc/<pid>/status}. */
  static OptionalLong statusKb(String status, String key) {
    for (String line : status.split("\n")) {
      if (line.startsWith(key + ":")) {
        String[] fields = line.substring(key.length() + 1).trim().split("\\s+");
        return OptionalLong.of(Long.parseLong(fields[0]));
      }
    }
    return OptionalLong.empty();
  }

  /** utime + stime of {@code /proc/<pid>/stat}; the command name before them may hold spaces. */
  static long cpuTicks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // Fields 14 and 15 of the file; the state (field 3) is the first after the name.
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** The {@code cpu} line of {@code /proc/stat}: idle and iowait are not busy. */
  static MachineSample machineTicks(String stat) {
    String[] fields = stat.lines().findFirst().orElseThrow().trim().split("\\s+");
    long total = 0;
    // user nice system idle iowait irq softirq steal; guest time is already in user.
    for (int i = 1; i <= 8 && i < fields.length; i++) {
      total += Long.parseLong(fields[i]);
    }
    long idle = Long.parseLong(fields[4]) + (fields.length > 5 ? Long.parseLong(fields[5]) : 0);
    return new MachineSample(total - idle, total);
  }

  /** The {@code total=} of the {@code some} line of {@code /proc/pressure/cpu}. */
  static OptionalLong somePressureMicros(String pressure) {
    for (String line : pressure.split("\n")) {
      if (line.startsWith("some ")) {
        for (String field : line.trim().split("\\s+")) {
          if (field.startsWith("total=")) {
            return OptionalLong.of(Long.parseLong(field.substring("total=".length())));
          }
        }
      }
    }
    return OptionalLong.empty();
  }

  static String loadAverage(String loadavg) {
    String[] fields = loadavg.trim().split("\\s+");
    return String.join(" ", fields[0], fields[1], fields[2]);
  }

  static OptionalLong openFilesLimit(String limits) {
    for (String line : limits.split("\n")) {
      if (line.startsWith("Max open files")) {
        String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
        return "unlimited".equals(soft)
            ? OptionalLong.of(Long.MAX_VALUE)
            : OptionalLong.of(Long.parseLong(soft));
      }
    }
    return OptionalLong.empty();
  }

  static OptionalLong portRangeSize(String range) {
    String[] fields = range.trim().split("\\s+");
    return OptionalLong.of(Long.parseLong(fields[1]) - Long.parseLong(fields[0]) + 1);
  }

  private static Optional<String> read(Path file) {
    // Not Files.readString: it trusts the size /proc reports and returns a sysctl's first byte.
    try (InputStream in = Files.newInputStream(file)) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The process has exited (even between two reads), or this is not Linux: no sample.
      return Optional.empty();
    }
  }
}
