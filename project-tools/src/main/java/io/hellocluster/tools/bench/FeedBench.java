package io.hellocluster.tools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The feed benchmark: opens many WebSocket clients on receivers' {@code /feed}, at a bounded rate,
 * then for a fixed window measures each greeting's latency (arrival minus {@code sentAt}, both from
 * this machine's clock) and checks each client's numbering. It talks to loopback addresses only,
 * stops by itself, and reports as text, optionally also as JSON and CSV.
 *
 * <p>Limits: latency includes the benchmark's own scheduling, and the clients share the CPUs with
 * the nodes they measure; the report gives the load and CPU use so that this can be judged.
 */
@Command(
    name = "FeedBench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Opens WebSocket clients on hello-cluster receivers' /feed, ramps them up at a bounded"
          + " rate, then measures greeting latency (arrival - sentAt) and per-client ordering"
          + " for a fixed window. Loopback addresses only.",
      ""
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:the run completed (read the report for refusals, drops and gaps)",
      "1:nothing was measured: no client connected or no greeting arrived in the window",
      "2:invalid options"
    })
public final class FeedBench implements Callable<Integer> {
  /** How long the benchmark waits for servers to answer its closes before cutting the rest. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  /** How often progress goes to stderr; stdout carries only the report. */
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  /** File descriptors the JVM needs besides the sockets: jars, selectors, stdio, /proc reads. */
  private static final long FD_HEADROOM = 200;

  private static final int MAX_CLIENTS = 100_000;

  @Spec CommandSpec spec;

  @Option(
      names = "--url",
      paramLabel = "URL",
      defaultValue = "ws://127.0.0.1:8080/feed",
      description = {
        "A receiver's feed, ws://<loopback>:<port>/feed; repeat to spread the clients over several"
            + " round-robin (default: ${DEFAULT-VALUE})"
      })
  List<URI> urls;

  @Option(
      names = {"-c", "--clients"},
      paramLabel = "N",
      defaultValue = "100",
      description = "WebSocket clients to open, 1-" + MAX_CLIENTS + " (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(
      names = {"-d", "--duration"},
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "The measurement window, which starts when the ramp-up has ended; at most 1h, e.g. 60s"
              + " or 5m (default: ${DEFAULT-VALUE})")
  Duration duration;

  @Option(
      names = "--ramp-rate",
      paramLabel = "PER_SECOND",
      defaultValue = "200",
      description = "New connections started per second, 1-10000 (default: ${DEFAULT-VALUE})")
  double rampRate;

  @Option(
      names = "--max-pending",
      paramLabel = "N",
      defaultValue = "64",
      description =
          "Opening handshakes in flight at once; keep it below the server's listen backlog"
              + " (default: ${DEFAULT-VALUE})")
  int maxPending;

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "Per connection, for the TCP connect and the upgrade (default: ${DEFAULT-VALUE})")
  Duration connectTimeout;

  @Option(
      names = "--ramp-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Ends the ramp-up even if clients are left; handshakes still pending count as refused"
              + " (default: clients / ramp-rate + 60s)")
  Duration rampTimeout;

  @Option(
      names = "--io-threads",
      paramLabel = "N",
      defaultValue = "2",
      description =
          "HttpClient instances (each with its own selector thread) and the threads that deliver"
              + " their messages, 1-64 (default: ${DEFAULT-VALUE})")
  int ioThreads;

  @Option(
      names = "--pid",
      paramLabel = "PID[=NAME]",
      description =
          "A receiver process whose RSS (VmRSS, VmHWM) and CPU time to read from /proc before,"
              + " during and after the run; repeatable")
  List<String> pids = new ArrayList<>();

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Also write the report to FILE as JSON")
  Path jsonFile;

  @Option(
      names = "--csv",
      paramLabel = "FILE",
      description = "Also append the report to FILE as one CSV row (a header first if it is new)")
  Path csvFile;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new FeedBench())
        .registerConverter(URI.class, URI::new)
        .setUsageHelpLongOptionsMaxWidth(24)
        .setParameterExceptionHandler(FeedBench::invalidInput);
  }

  /** One line saying what is wrong, not the whole usage help. */
  private static int invalidInput(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr().println("FeedBench: " + e.getMessage());
    cmd.getErr().println("See FeedBench --help for the options.");
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  @Override
  public Integer call() throws Exception {
    validate();
    PrintStream progress = System.err;
    Instant startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Samples before = sample();
    progress.printf(
        "FeedBench: %d clients on %s, ramp-up %s/s, then a %s s window%n",
        clients, urls, ReportFormat.number(rampRate), duration.toSeconds());

    Measurements measurements = new Measurements();
    ExecutorService executor = Executors.newFixedThreadPool(ioThreads, FeedBench::daemon);
    try {
      List<HttpClient> httpClients = new ArrayList<>();
      for (int i = 0; i < ioThreads; i++) {
        httpClients.add(HttpClient.newBuilder().executor(executor).build());
      }
      long rampStart = System.nanoTime();
      List<FeedConnection> connections = rampUp(httpClients, measurements, progress);
      double rampSeconds = (System.nanoTime() - rampStart) / 1e9;

      Samples connected = sample();
      Histogram rampLatency = measurements.startWindow();
      long windowStart = System.nanoTime();
      if (connections.stream().anyMatch(c -> c.state() == FeedConnection.State.OPEN)) {
        measureWindow(connections, measurements, progress);
      }
      Histogram windowLatency = measurements.endWindow();
      double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
      Samples end = sample();

      List<FeedConnection.Summary> summaries = stop(connections, measurements, CLOSE_GRACE);
      Report report =
          new Report(
              startedAt.toString(),
              urls.stream().map(URI::toString).toList(),
              new Report.Settings(clients, rampRate, maxPending, windowSeconds, ioThreads),
              machine(before, connected, end, windowSeconds),
              connectionTotals(summaries, rampSeconds),
              greetingTotals(summaries, windowSeconds, measurements.broadcastPerSecond()),
              Report.Latency.of(windowLatency),
              Report.Latency.of(rampLatency),
              orderingTotals(summaries, measurements),
              receiverUse(before, connected, end, windowSeconds),
              processUse(
                  "bench",
                  String.valueOf(ProcessHandle.current().pid()),
                  before.bench(),
                  connected.bench(),
                  end.bench(),
                  windowSeconds));
      write(report);
      boolean measured = report.connections().connected() > 0 && report.greetings().inWindow() > 0;
      return measured ? 0 : 1;
    } finally {
      executor.shutdownNow();
    }
  }

  /** What /proc says at one point of the run: the receivers, this process, the machine. */
  private record Samples(
      Map<String, ProcFiles.ProcessSample> receivers,
      Optional<ProcFiles.ProcessSample> bench,
      Optional<ProcFiles.MachineSample> machine,
      OptionalLong cpuPressureMicros,
      Optional<String> loadAverage) {}

  private Samples sample() {
    Map<String, ProcFiles.ProcessSample> receivers = new LinkedHashMap<>();
    for (String pid : pids) {
      String id = pid.split("=", 2)[0];
      ProcFiles.process(id).ifPresent(s -> receivers.put(id, s));
    }
    return new Samples(
        receivers,
        ProcFiles.process("self"),
        ProcFiles.machine(),
        ProcFiles.cpuPressureMicros(),
        ProcFiles.loadAverage());
  }

  /** Opens the clients at the ramp rate, at most max-pending handshakes at once. */
  private List<FeedConnection> rampUp(
      List<HttpClient> httpClients, Measurements measurements, PrintStream progress)
      throws InterruptedException {
    List<FeedConnection> connections = new ArrayList<>(clients);
    Semaphore pending = new Semaphore(maxPending);
    long start = System.nanoTime();
    long deadline = start + effectiveRampTimeout().toNanos();
    long interval = (long) (1e9 / rampRate);
    long nextProgress = start + PROGRESS_EVERY.toNanos();
    for (int i = 0; i < clients; i++) {
      long wait = start + i * interval - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      if (!pending.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        progress.printf("ramp-up timed out after %d of %d clients%n", i, clients);
        break;
      }
      FeedConnection connection = new FeedConnection(urls.get(i % urls.size()), measurements);
      connections.add(connection);
      connection
          .open(httpClients.get(i % httpClients.size()), connectTimeout)
          .whenComplete((ok, failure) -> pending.release());
      if (System.nanoTime() >= nextProgress) {
        progress.printf("ramp-up: %s%n", states(connections));
        nextProgress += PROGRESS_EVERY.toNanos();
      }
    }
    long left = deadline - System.nanoTime();
    if (!pending.tryAcquire(maxPending, Math.max(left, 0), TimeUnit.NANOSECONDS)) {
      connections.forEach(c -> c.giveUp("handshake not done when the ramp-up timed out"));
    }
    progress.printf("ramp-up done: %s%n", states(connections));
    return connections;
  }

  private void measureWindow(
      List<FeedConnection> connections, Measurements measurements, PrintStream progress)
      throws InterruptedException {
    long end = System.nanoTime() + duration.toNanos();
    long step = PROGRESS_EVERY.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        break;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(left, step));
      progress.printf(
          "window: %d s of %d s, %d greetings, %s%n",
          duration.minusNanos(Math.max(end - System.nanoTime(), 0)).toSeconds(),
          duration.toSeconds(),
          measurements.greetingsInWindow(),
          states(connections));
    }
  }

  /**
   * Closes every client, waits up to {@code grace} for the servers' answers, cuts off the rest, and
   * collects the counts. A client still open when the window ended counts as open at the end
   * whether or not its server answered the close.
   */
  static List<FeedConnection.Summary> stop(
      List<FeedConnection> connections, Measurements measurements, Duration grace)
      throws InterruptedException {
    measurements.stop();
    CompletableFuture<?>[] closing =
        connections.stream().map(FeedConnection::close).toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(closing).get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // Servers that did not answer in time are cut off below.
    }
    List<FeedConnection.Summary> summaries = new ArrayList<>(connections.size());
    for (FeedConnection c : connections) {
      c.abort();
      summaries.add(c.summary());
    }
    return summaries;
  }

  private void validate() {
    if (clients < 1 || clients > MAX_CLIENTS) {
      throw usage("--clients must be between 1 and " + MAX_CLIENTS + ", not " + clients);
    }
    if (duration.compareTo(Duration.ofHours(1)) > 0) {
      throw usage("--duration must be at most 1h, not " + duration);
    }
    if (!(rampRate >= 1 && rampRate <= 10_000)) {
      throw usage("--ramp-rate must be between 1 and 10000 per second, not " + rampRate);
    }
    if (maxPending < 1 || maxPending > 10_000) {
      throw usage("--max-pending must be between 1 and 10000, not " + maxPending);
    }
    if (ioThreads < 1 || ioThreads > 64) {
      throw usage("--io-threads must be between 1 and 64, not " + ioThreads);
    }
    for (URI url : urls) {
      checkUrl(url);
    }
    for (String pid : pids) {
      if (!pid.matches("\\d{1,10}(=.+)?")) {
        throw usage("--pid takes a process ID, optionally =NAME, not '" + pid + "'");
      }
    }
    checkCsvFile();
    OptionalLong files = ProcFiles.openFilesLimit();
    if (files.isPresent() && clients + FD_HEADROOM > files.getAsLong()) {
      throw usage(
          clients
              + " clients need about "
              + (clients + FD_HEADROOM)
              + " file descriptors, but this process may open "
              + files.getAsLong()
              + "; lower --clients or raise the limit (ulimit -n)");
    }
    OptionalLong ports = ProcFiles.ephemeralPorts();
    long perUrl = (clients + urls.size() - 1) / urls.size();
    if (ports.isPresent() && perUrl > ports.getAsLong()) {
      throw usage(
          perUrl
              + " clients per URL need as many local ports, but the kernel has "
              + ports.getAsLong()
              + " (net.ipv4.ip_local_port_range); give more --url or lower --clients");
    }
  }

  /** Only ws:// URLs whose host is a loopback address: the benchmark must not load anyone else. */
  private void checkUrl(URI url) {
    if (!"ws".equals(url.getScheme()) || url.getHost() == null) {
      throw usage("--url must be ws://<host>:<port>/<path>, not '" + url + "'");
    }
    boolean loopback;
    try {
      InetAddress[] addresses = InetAddress.getAllByName(url.getHost());
      loopback = addresses.length > 0;
      for (InetAddress address : addresses) {
        loopback &= address.isLoopbackAddress();
      }
    } catch (UnknownHostException e) {
      loopback = false;
    }
    if (!loopback) {
      throw usage(
          "--url " + url + " is not on a loopback address; the benchmark only loads this machine");
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private Duration effectiveRampTimeout() {
    if (rampTimeout != null) {
      return rampTimeout;
    }
    return Duration.ofMillis((long) (clients / rampRate * 1000)).plusSeconds(60);
  }

  private void write(Report report) throws IOException {
    System.out.print(ReportFormat.text(report));
    if (jsonFile != null) {
      Files.writeString(jsonFile, ReportFormat.json(report), StandardCharsets.UTF_8);
    }
    if (csvFile != null) {
      boolean fresh = !Files.exists(csvFile) || Files.size(csvFile) == 0;
      String text = (fresh ? ReportFormat.csvHeader() : "") + ReportFormat.csvRow(report);
      Files.writeString(
          csvFile,
          text,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  /** Refuses, before a run rather than after it, a CSV file whose columns are not these. */
  private void checkCsvFile() {
    if (csvFile == null || !Files.exists(csvFile)) {
      return;
    }
    try {
      String header = firstLine(csvFile);
      if (!header.isEmpty() && !ReportFormat.csvHeader().equals(header + "\n")) {
        throw usage(csvFile + " has other columns than this version writes; give --csv a new file");
      }
    } catch (IOException e) {
      throw usage("cannot read --csv " + csvFile + ": " + e.getMessage());
    }
  }

  private static String firstLine(Path file) throws IOException {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line = reader.readLine();
      return line == null ? "" : line;
    }
  }

  private List<Report.ProcessUse> receiverUse(
      Samples before, Samples connected, Samples end, double windowSeconds) {
    List<Report.ProcessUse> use = new ArrayList<>();
    for (String pid : pids) {
      String[] parts = pid.split("=", 2);
      String id = parts[0];
      use.add(
          processUse(
              parts.length > 1 ? parts[1] : "pid " + id,
              id,
              Optional.ofNullable(before.receivers().get(id)),
              Optional.ofNullable(connected.receivers().get(id)),
              Optional.ofNullable(end.receivers().get(id)),
              windowSeconds));
    }
    return use;
  }

  private static Report.ProcessUse processUse(
      String label,
      String pid,
      Optional<ProcFiles.ProcessSample> before,
      Optional<ProcFiles.ProcessSample> connected,
      Optional<ProcFiles.ProcessSample> end,
      double windowSeconds) {
    Double cpu = null;
    // A window cut short (no client open) gives no meaningful CPU share.
    if (connected.isPresent() && end.isPresent() && windowSeconds >= 1) {
      long ticks = end.get().cpuTicks() - connected.get().cpuTicks();
      cpu = 100.0 * ticks / ProcFiles.TICKS_PER_SECOND / windowSeconds;
    }
    return new Report.ProcessUse(
        label,
        pid,
        before.map(ProcFiles.ProcessSample::rssKb).orElse(null),
        connected.map(ProcFiles.ProcessSample::rssKb).orElse(null),
        end.map(ProcFiles.ProcessSample::rssKb).orElse(null),
        end.map(ProcFiles.ProcessSample::peakRssKb).orElse(null),
        cpu);
  }

  /** The machine over the window, which runs from the connected sample to the end one. */
  private static Report.Machine machine(
      Samples before, Samples connected, Samples end, double windowSeconds) {
    Double busy = null;
    if (connected.machine().isPresent() && end.machine().isPresent()) {
      long total = end.machine().get().totalTicks() - connected.machine().get().totalTicks();
      long busyTicks = end.machine().get().busyTicks() - connected.machine().get().busyTicks();
      busy = total > 0 ? 100.0 * busyTicks / total : null;
    }
    Double pressure = null;
    if (connected.cpuPressureMicros().isPresent()
        && end.cpuPressureMicros().isPresent()
        && windowSeconds > 0) {
      long stalled =
          end.cpuPressureMicros().getAsLong() - connected.cpuPressureMicros().getAsLong();
      pressure = stalled / 1e6 / windowSeconds * 100;
    }
    return new Report.Machine(
        Runtime.getRuntime().availableProcessors(),
        before.loadAverage().orElse("?"),
        end.loadAverage().orElse("?"),
        busy,
        pressure);
  }

  static Report.Connections connectionTotals(
      List<FeedConnection.Summary> summaries, double rampSeconds) {
    Map<String, Integer> refusedBy = new TreeMap<>();
    Map<String, Integer> droppedBy = new TreeMap<>();
    Map<String, Integer> openByUrl = new TreeMap<>();
    int connected = 0;
    int open = 0;
    for (FeedConnection.Summary s : summaries) {
      switch (s.state()) {
        case REFUSED -> refusedBy.merge(s.reason(), 1, Integer::sum);
        case DROPPED -> droppedBy.merge(s.reason(), 1, Integer::sum);
        default -> {}
      }
      if (s.state() != FeedConnection.State.REFUSED) {
        connected++;
      }
      if (s.state() == FeedConnection.State.CLOSED) {
        open++;
        openByUrl.merge(s.uri().toString(), 1, Integer::sum);
      }
    }
    return new Report.Connections(
        summaries.size(),
        connected,
        sum(refusedBy),
        sum(droppedBy),
        open,
        rampSeconds,
        refusedBy,
        droppedBy,
        openByUrl);
  }

  static Report.Greetings greetingTotals(
      List<FeedConnection.Summary> summaries, double windowSeconds, double broadcastPerSecond) {
    long[] perClient =
        summaries.stream()
            .filter(s -> s.state() == FeedConnection.State.CLOSED)
            .mapToLong(FeedConnection.Summary::inWindow)
            .sorted()
            .toArray();
    long inWindow = summaries.stream().mapToLong(FeedConnection.Summary::inWindow).sum();
    return new Report.Greetings(
        inWindow,
        summaries.stream().mapToLong(FeedConnection.Summary::received).sum(),
        windowSeconds > 0 ? inWindow / windowSeconds : 0,
        broadcastPerSecond,
        Math.round(broadcastPerSecond * windowSeconds),
        perClient.length == 0 ? 0 : perClient[0],
        perClient.length == 0 ? 0 : perClient[perClient.length / 2],
        perClient.length == 0 ? 0 : perClient[perClient.length - 1],
        summaries.stream().mapToLong(FeedConnection.Summary::unparsable).sum());
  }

  static Report.Ordering orderingTotals(
      List<FeedConnection.Summary> summaries, Measurements measurements) {
    return new Report.Ordering(
        total(summaries, FeedConnection.Summary::outOfOrder),
        total(summaries, FeedConnection.Summary::duplicates),
        total(summaries, FeedConnection.Summary::gaps),
        total(summaries, FeedConnection.Summary::missing),
        total(summaries, FeedConnection.Summary::epochChanges),
        total(summaries, FeedConnection.Summary::gapNotices),
        total(summaries, FeedConnection.Summary::missedNotified),
        total(summaries, FeedConnection.Summary::resets),
        total(summaries, FeedConnection.Summary::byes),
        measurements.belowZero());
  }

  private static long total(
      List<FeedConnection.Summary> summaries, ToLongFunction<FeedConnection.Summary> field) {
    return summaries.stream().mapToLong(field).sum();
  }

  private static int sum(Map<String, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Connection states in one short line, for progress. */
  private static String states(List<FeedConnection> connections) {
    Map<FeedConnection.State, Integer> counts = new TreeMap<>(Comparator.naturalOrder());
    for (FeedConnection c : connections) {
      counts.merge(c.state(), 1, Integer::sum);
    }
    Predicate<Map.Entry<FeedConnection.State, Integer>> any = e -> e.getValue() > 0;
    return counts.entrySet().stream()
        .filter(any)
        .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT))
        .reduce((a, b) -> a + ", " + b)
        .orElse("none");
  }

  private static Thread daemon(Runnable task) {
    Thread thread = new Thread(task, "feed-bench-io");
    thread.setDaemon(true);
    return thread;
  }
}
