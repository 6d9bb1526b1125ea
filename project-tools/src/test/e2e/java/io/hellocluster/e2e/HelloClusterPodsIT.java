package io.hellocluster.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.hellocluster.e2e.ClusterHttp.Members;
import io.hellocluster.e2e.FeedClient.Greeting;
import io.hellocluster.tools.chart.RenderedChart;
import io.hellocluster.tools.kube.MockKubernetesApi;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real image and the real chart, end to end, without a Kubernetes cluster. Every pod the
 * chart's Deployments ask for (default values) runs as a podman container made from its rendered
 * pod spec, on the host network at a loopback address of its own; a mock API server holds their Pod
 * objects, so the nodes' unmodified Kubernetes API discovery forms the cluster. Faults are real
 * signals to real containers: SIGKILL for a crash, SIGTERM and the grace period for a rollout. The
 * steps run in order, each on the state the previous one left.
 *
 * <p>Limitations: there is no kubelet (a killed pod is not replaced, probes gate only this test),
 * no Service, kube-proxy or cluster DNS, and the mock API server enforces no RBAC.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(HelloClusterPodsIT.StopAfterFirstFailure.class)
class HelloClusterPodsIT {
  private static final Logger LOG = LoggerFactory.getLogger(HelloClusterPodsIT.class);

  private static final String RELEASE = "hello-cluster";

  /** Not "default": proves the namespace reaches discovery through the downward API. */
  private static final String NAMESPACE = "hello-e2e";

  private static final String SYSTEM_NAME = "hello-cluster";
  private static final String GREETING_TEXT = "Hello world";

  /**
   * How much later than drawn a greeting may arrive: delivery crosses two nodes and a WebSocket on
   * a 2-core machine running four JVMs, where a GC pause or a busy core adds a few 100 ms.
   */
  private static final Duration JITTER = Duration.ofMillis(300);

  /**
   * Longest silence allowed when the active broadcaster crashes: failure detection (~5 s), the
   * split brain resolver's stable-after (7 s), removal and the singleton's start on the standby (~5
   * s), plus the wait before its first greeting (up to 10 s) and room for a loaded machine.
   */
  private static final Duration FAILOVER_BOUND = Duration.ofSeconds(45);

  /** How long readiness may take once the startup probe passed: bootstrap and joining. */
  private static final Duration READINESS_BUDGET = Duration.ofMinutes(2);

  /** Greetings each feed must show in a steady state: enough intervals to check the delays. */
  private static final int STEADY_GREETINGS = 4;

  private final ClusterHttp cluster = new ClusterHttp();
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<String, FeedClient> feeds = new LinkedHashMap<>();
  private final List<ChartPod> pods = new ArrayList<>();
  private Podman podman;
  private MockKubernetesApi api;
  private Duration minDelay;
  private Duration maxDelay;

  @BeforeAll
  void startEveryPodOfTheChart() throws Exception {
    Path templates = Path.of(property("e2e.podman.templates"));
    Path parent = Path.of(System.getProperty("java.io.tmpdir"));
    Podman.removeStaleRuns(parent, templates);
    podman = Podman.create(parent, templates);
    LOG.info("Run [{}] keeps its podman store and files in [{}]", podman.runId(), podman.root());

    long loading = System.nanoTime();
    String loaded = loadedImage(podman.run("load", "--quiet", "--input", property("e2e.image")));
    LOG.info("Loaded [{}] in {}", loaded, since(loading));

    RenderedChart chart = RenderedChart.render(RELEASE, NAMESPACE);
    api = MockKubernetesApi.start();
    Path serviceAccount = writeServiceAccount(api.certificate());
    assignPods(chart.all(Deployment.class));
    readDelays(pods.get(0));

    Map<String, String> serviceEnv =
        Map.of(
            "KUBERNETES_SERVICE_HOST",
            MockKubernetesApi.HOST,
            "KUBERNETES_SERVICE_PORT",
            Integer.toString(api.port()),
            "KUBERNETES_SERVICE_PORT_HTTPS",
            Integer.toString(api.port()),
            "KUBERNETES_PORT",
            "tcp://" + MockKubernetesApi.HOST + ":" + api.port());
    for (ChartPod pod : pods) {
      tagAsRendered(loaded, pod.container().getImage());
      api.createPod(pod.asRunningPod("e2e-node"));
    }
    for (ChartPod pod : pods) {
      // NOTE: the chart binds 0.0.0.0 and advertises the pod IP. On the shared host network
      // every pod would then claim the same ports, so each binds its own address instead.
      Map<String, String> overrides = Map.of("HELLO_BIND_HOSTNAME", pod.ip());
      podman.run(
          pod.runArguments(
                  containerName(pod),
                  "io.hellocluster.e2e.run=" + podman.runId(),
                  serviceAccount,
                  serviceEnv,
                  overrides)
              .toArray(String[]::new));
      LOG.info(
          "Started pod [{}] at [{}] as container [{}]", pod.name(), pod.ip(), containerName(pod));
    }
  }

  @AfterAll
  void removeEverythingTheRunMade() {
    feeds.values().forEach(FeedClient::close);
    try {
      if (podman != null) {
        saveLogs();
      }
    } finally {
      try {
        if (api != null) {
          api.close();
        }
      } finally {
        if (podman != null) {
          podman.close();
        }
      }
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
  void everyPodPassesItsRenderedStartupAndReadinessProbes() throws Exception {
    ExecutorService probes = Executors.newFixedThreadPool(pods.size());
    try {
      Map<ChartPod, Future<Duration>> ready = new LinkedHashMap<>();
      for (ChartPod pod : pods) {
        ready.put(pod, probes.submit(() -> awaitStartupThenReady(pod)));
      }
      for (Map.Entry<ChartPod, Future<Duration>> entry : ready.entrySet()) {
        LOG.info("Pod [{}] ready after {}", entry.getKey().name(), entry.getValue().get());
      }
    } finally {
      probes.shutdownNow();
    }
  }

  @Test
  @Order(2)
  void everyPodIsAnUpMemberOfOneClusterWithItsRole() throws Exception {
    Map<String, ChartPod> byAddress =
        pods.stream().collect(Collectors.toMap(p -> p.pekkoAddress(SYSTEM_NAME), p -> p));
    for (ChartPod pod : pods) {
      Members members =
          awaitMembers(pod, m -> allUp(m, byAddress.keySet()), Duration.ofSeconds(30));
      assertEquals(byAddress.keySet(), members.byNode().keySet(), pod.name() + " sees");
      assertEquals(List.of(), members.unreachable(), pod.name() + " sees unreachable");
      members
          .byNode()
          .forEach(
              (node, member) ->
                  assertTrue(
                      member.roles().contains(byAddress.get(node).component()),
                      node + " has roles " + member.roles()));
    }
  }

  @Test
  @Order(3)
  void exactlyOneBroadcasterGreetsThroughEveryReceiverAtTheDrawnIntervals() throws Exception {
    for (ChartPod receiver : podsOf("receiver")) {
      feeds.put(receiver.name(), FeedClient.connect(http, receiver.name(), feedUri(receiver)));
    }
    Duration timeout = maxDelay.plus(JITTER).multipliedBy(STEADY_GREETINGS + 1);
    Set<String> broadcasters = new LinkedHashSet<>();
    for (FeedClient feed : feeds.values()) {
      List<Greeting> greetings = feed.awaitCount(0, STEADY_GREETINGS, timeout);
      greetings.forEach(g -> assertEquals(GREETING_TEXT, g.text(), "text of " + g));
      greetings.forEach(g -> assertEquals(feed.receiver(), g.receiver(), "receiver of " + g));
      greetings.forEach(g -> broadcasters.add(g.broadcaster()));
      assertIntervalsFollowTheDrawnDelays(feed.receiver(), greetings);
    }
    assertEquals(1, broadcasters.size(), "distinct broadcasters greeting: " + broadcasters);
    ChartPod active = podNamed(broadcasters.iterator().next());
    assertEquals("broadcaster", active.component());
    Members members = cluster.members(podsOf("receiver").get(0));
    assertEquals(
        active.pekkoAddress(SYSTEM_NAME),
        members.oldestPerRole().get("broadcaster"),
        "the singleton runs on the oldest broadcaster");
    LOG.info("Active broadcaster: [{}]", active.name());
  }

  @Test
  @Order(4)
  void aBrowserShowsTheGreetingsOnAReceiversPage() throws Exception {
    ChartPod receiver = podsOf("receiver").get(0);
    URI page = URI.create("http://" + receiver.ip() + ":" + httpPort(receiver) + "/");
    Path profile = Files.createDirectory(podman.root().resolve("chromium-profile"));
    try (BrowserFeed browser =
        BrowserFeed.open(
            page,
            Path.of(System.getProperty("e2e.chromium", "/usr/bin/chromium")),
            Path.of(System.getProperty("e2e.chromedriver", "/usr/bin/chromedriver")),
            profile)) {
      List<String> shown = browser.awaitGreetings(2, maxDelay.multipliedBy(2).plusSeconds(10));
      shown.forEach(text -> assertEquals(GREETING_TEXT, text));
      assertEquals("connected", browser.status());
      LOG.info("Chromium shows {} greetings on [{}]", shown.size(), page);
    }
  }

  @Test
  @Order(5)
  void theStandbyBroadcasterTakesOverWhenTheActiveOneIsKilled() throws Exception {
    FeedClient feed = feeds.values().iterator().next();
    List<Greeting> before = feed.greetings();
    Greeting last = before.get(before.size() - 1);
    ChartPod active = podNamed(last.broadcaster());
    ChartPod standby =
        podsOf("broadcaster").stream().filter(p -> p != active).findFirst().orElseThrow();

    long killedAt = System.nanoTime();
    podman.run("kill", "--signal", "KILL", containerName(active));
    api.deletePod(NAMESPACE, active.name());
    Greeting first =
        feed.await(
            before.size(),
            g -> g.broadcaster().equals(standby.name()),
            FAILOVER_BOUND.plus(maxDelay));
    double gap = last.secondsUntil(first);
    LOG.info(
        "Failover: [{}] killed {} s after its last greeting; [{}] greeted {} s after the kill;"
            + " gap between greetings {} s (bound {} s)",
        active.name(),
        seconds(killedAt - last.arrivedNanos()),
        standby.name(),
        seconds(first.arrivedNanos() - killedAt),
        String.format("%.1f", gap),
        FAILOVER_BOUND.toSeconds());
    assertTrue(gap <= FAILOVER_BOUND.toSeconds(), "failover gap " + gap + " s");
    assertEquals(Optional.of(137), podman.exitCode(containerName(active)), "killed by SIGKILL");

    for (FeedClient each : feeds.values()) {
      int from =
          each.greetings().indexOf(first) < 0 ? before.size() : each.greetings().indexOf(first);
      List<Greeting> after = each.awaitCount(from, 3, maxDelay.plus(JITTER).multipliedBy(4));
      after.forEach(g -> assertEquals(standby.name(), g.broadcaster(), "after failover: " + g));
      assertIntervalsFollowTheDrawnDelays(each.receiver() + " after failover", after);
      assertEquals(Optional.empty(), each.ended(), each.receiver() + " feed");
    }
    String killed = active.pekkoAddress(SYSTEM_NAME);
    for (ChartPod pod : running()) {
      awaitMembers(pod, m -> !m.byNode().containsKey(killed), Duration.ofSeconds(30));
    }
  }

  @Test
  @Order(6)
  void aReceiverStoppedGracefullyLeavesTheClusterWhileTheOtherReceiversFeedFlows()
      throws Exception {
    List<ChartPod> receivers = podsOf("receiver");
    ChartPod staying = receivers.get(0);
    ChartPod leaving = receivers.get(1);
    FeedClient feed = feeds.get(staying.name());
    String node = leaving.pekkoAddress(SYSTEM_NAME);
    int from = feed.greetings().size();

    LeaveWatcher watcher = new LeaveWatcher(staying, node);
    Thread watching = new Thread(watcher, "leave-watcher");
    watching.start();
    long grace = leaving.terminationGraceSeconds();
    long stopping = System.nanoTime();
    // As the API server does: the pod is gone from listings before its container gets SIGTERM.
    api.deletePod(NAMESPACE, leaving.name());
    podman.run("stop", "--time", Long.toString(grace), containerName(leaving));
    Duration stopTook = since(stopping);
    watching.join(Duration.ofSeconds(30).toMillis());
    watching.interrupt();

    LOG.info(
        "Stopped [{}] in {} (grace {} s); [{}] saw it as {}, unreachable: {}",
        leaving.name(),
        stopTook,
        grace,
        staying.name(),
        watcher.statuses,
        watcher.unreachable);
    assertTrue(stopTook.toSeconds() < grace, "stopped before the grace period ran out");
    Optional<Integer> exit = podman.exitCode(containerName(leaving));
    assertTrue(exit.equals(Optional.of(0)) || exit.equals(Optional.of(143)), "exit code " + exit);
    assertTrue(watcher.gone, "still a member after 30 s: " + watcher.statuses);
    assertTrue(
        watcher.statuses.contains("Leaving") || watcher.statuses.contains("Exiting"),
        "left through Leaving/Exiting: " + watcher.statuses);
    assertFalse(watcher.statuses.contains("Down"), "was downed: " + watcher.statuses);
    assertFalse(watcher.unreachable, "was unreachable before it left");

    List<Greeting> flowing = feed.awaitCount(from, 2, maxDelay.plus(JITTER).multipliedBy(3));
    List<Greeting> across = new ArrayList<>(feed.greetings().subList(Math.max(0, from - 1), from));
    across.addAll(flowing);
    assertIntervalsFollowTheDrawnDelays(staying.name() + " while a receiver left", across);
    assertEquals(Optional.empty(), feed.ended(), staying.name() + " feed");
    LOG.info(
        "Feed of [{}] stayed open; feed of [{}]: {}",
        staying.name(),
        leaving.name(),
        feeds.get(leaving.name()).ended().orElse("still open"));
  }

  /** Startup probe within its own budget, then readiness, as the kubelet gates a pod. */
  private Duration awaitStartupThenReady(ChartPod pod) throws InterruptedException {
    var container = pod.container();
    Runnable stillRunning = () -> assertContainerRuns(pod);
    long start = System.nanoTime();
    var startup = container.getStartupProbe();
    if (startup != null) {
      Duration budget =
          Duration.ofSeconds((long) startup.getPeriodSeconds() * startup.getFailureThreshold());
      cluster.awaitProbe(pod, startup, budget, stillRunning);
    }
    cluster.awaitProbe(pod, container.getReadinessProbe(), READINESS_BUDGET, stillRunning);
    return since(start);
  }

  private void assertContainerRuns(ChartPod pod) {
    Optional<Integer> exit = podman.exitCode(containerName(pod));
    if (exit.isPresent()) {
      String logs = podman.tryRun("logs", "--tail", "30", containerName(pod)).toString();
      throw new AssertionError(pod.name() + " exited with " + exit.get() + ":\n" + logs);
    }
  }

  /**
   * Checks each interval between consecutive greetings (same epoch, next seq): the drawn delay it
   * carries lies within the rendered bounds, and the observed interval within them give or take
   * {@link #JITTER}.
   */
  private void assertIntervalsFollowTheDrawnDelays(String where, List<Greeting> greetings) {
    List<String> observed = new ArrayList<>();
    for (int i = 1; i < greetings.size(); i++) {
      Greeting earlier = greetings.get(i - 1);
      Greeting later = greetings.get(i);
      if (!later.epoch().equals(earlier.epoch()) || later.seq() != earlier.seq() + 1) {
        continue;
      }
      double interval = earlier.secondsUntil(later);
      double low = (minDelay.toMillis() - JITTER.toMillis()) / 1000.0;
      double high = (maxDelay.toMillis() + JITTER.toMillis()) / 1000.0;
      assertTrue(
          later.delayMillis() >= minDelay.toMillis() && later.delayMillis() <= maxDelay.toMillis(),
          where + ": drawn delay " + later.delayMillis() + " ms of " + later);
      assertTrue(
          interval >= low && interval <= high,
          where
              + ": "
              + String.format("%.2f", interval)
              + " s before "
              + later
              + ", not in ["
              + low
              + ", "
              + high
              + "]");
      observed.add(String.format("%.2f", interval));
    }
    assertFalse(observed.isEmpty(), where + ": no consecutive greetings in " + greetings);
    LOG.info("Intervals at [{}] (s): {}", where, observed);
  }

  private Members awaitMembers(
      ChartPod pod, java.util.function.Predicate<Members> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        Members members = cluster.members(pod);
        if (condition.test(members)) {
          return members;
        }
        last = members;
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(pod.name() + " never saw the expected members; last: " + last);
  }

  private static boolean allUp(Members members, Set<String> expected) {
    return members.byNode().keySet().equals(expected)
        && members.byNode().values().stream().allMatch(m -> "Up".equals(m.status()));
  }

  /** Gives each replica of each Deployment a pod name and a free loopback address. */
  private void assignPods(List<Deployment> deployments) throws IOException {
    Set<Integer> ports = new LinkedHashSet<>();
    int count = 0;
    for (Deployment deployment : deployments) {
      count += deployment.getSpec().getReplicas();
      deployment
          .getSpec()
          .getTemplate()
          .getSpec()
          .getContainers()
          .forEach(c -> c.getPorts().forEach(p -> ports.add(p.getContainerPort())));
    }
    List<String> addresses = freeLoopbackAddresses(count, ports);
    int next = 0;
    for (Deployment deployment : deployments) {
      for (int i = 0; i < deployment.getSpec().getReplicas(); i++) {
        pods.add(
            new ChartPod(
                deployment, ChartPod.podName(deployment), NAMESPACE, addresses.get(next++)));
      }
    }
  }

  /** The greeting delays as rendered into the broadcaster's environment. */
  private void readDelays(ChartPod pod) {
    Map<String, String> env = new LinkedHashMap<>();
    pod.container().getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
    minDelay = hoconDuration(env.get("HELLO_MIN_DELAY"));
    maxDelay = hoconDuration(env.get("HELLO_MAX_DELAY"));
  }

  private static Duration hoconDuration(String value) {
    return com.typesafe.config.ConfigFactory.parseString("d = \"" + value + "\"").getDuration("d");
  }

  /** 127.0.0.2 upwards: 127.0.0.1 is the mock API server's and other local tools'. */
  private static List<String> freeLoopbackAddresses(int count, Set<Integer> ports)
      throws IOException {
    List<String> free = new ArrayList<>();
    for (int last = 2; last < 255 && free.size() < count; last++) {
      InetAddress address = InetAddress.getByName("127.0.0." + last);
      if (ports.stream().allMatch(port -> canBind(address, port))) {
        free.add(address.getHostAddress());
      }
    }
    if (free.size() < count) {
      throw new IllegalStateException("fewer than " + count + " loopback addresses are free");
    }
    return free;
  }

  private static boolean canBind(InetAddress address, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(address, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A service account folder as the kubelet mounts it, readable by the pods' non-root user. */
  private Path writeServiceAccount(Path caCertificate) throws IOException {
    Path folder = Files.createDirectory(podman.root().resolve("serviceaccount"));
    String token = HexFormat.of().formatHex(randomBytes(32));
    Files.writeString(folder.resolve("token"), token);
    Files.copy(caCertificate, folder.resolve("ca.crt"));
    Files.writeString(folder.resolve("namespace"), NAMESPACE);
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.toList()) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    return folder;
  }

  /** Jib names the image after the project version; the chart after its appVersion. */
  private void tagAsRendered(String loaded, String rendered) {
    String qualified = rendered.contains("/") ? rendered : "localhost/" + rendered;
    if (!qualified.equals(loaded)) {
      LOG.warn("The chart renders image [{}] but Jib built [{}]; tagging it so", rendered, loaded);
      podman.run("tag", loaded, qualified);
    }
  }

  private static String loadedImage(String loadOutput) {
    String lastLine = loadOutput.lines().reduce((a, b) -> b).orElseThrow();
    return lastLine.substring(lastLine.lastIndexOf(' ') + 1).strip();
  }

  private void saveLogs() {
    Path folder = Path.of(property("e2e.logs"));
    try {
      Files.createDirectories(folder);
      for (ChartPod pod : pods) {
        Podman.Result logs = podman.tryRun("logs", containerName(pod));
        Files.writeString(folder.resolve(pod.name() + ".log"), logs.stdout() + logs.stderr());
      }
      LOG.info("Pod logs saved in [{}]", folder);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not save the pods' logs: {}", e.toString());
    }
  }

  private String containerName(ChartPod pod) {
    return "hce2e-" + podman.runId() + "-" + pod.name();
  }

  private List<ChartPod> podsOf(String component) {
    return pods.stream().filter(p -> component.equals(p.component())).toList();
  }

  private List<ChartPod> running() {
    return pods.stream().filter(p -> podman.exitCode(containerName(p)).isEmpty()).toList();
  }

  private ChartPod podNamed(String name) {
    return pods.stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no pod is named " + name));
  }

  private static int httpPort(ChartPod receiver) {
    return receiver.port(new IntOrString("http"));
  }

  private static URI feedUri(ChartPod receiver) {
    return URI.create("ws://" + receiver.ip() + ":" + httpPort(receiver) + "/feed");
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property " + name + " is not set; run the e2e test with ./mvnw -Pe2e verify");
    }
    return value;
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  private static Duration since(long startNanos) {
    return Duration.ofMillis((System.nanoTime() - startNanos) / 1_000_000);
  }

  private static String seconds(long nanos) {
    return String.format("%.1f", nanos / 1e9);
  }

  /**
   * Polls one node's view of the cluster while another leaves, recording each status the leaving
   * member shows until it is gone.
   */
  private final class LeaveWatcher implements Runnable {
    private final ChartPod observer;
    private final String node;
    private final List<String> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean unreachable;
    private volatile boolean gone;

    LeaveWatcher(ChartPod observer, String node) {
      this.observer = observer;
      this.node = node;
    }

    @Override
    public void run() {
      try {
        while (!gone && !Thread.currentThread().isInterrupted()) {
          try {
            Members members = cluster.members(observer);
            unreachable |= members.unreachable().contains(node);
            Optional<String> status = members.statusOf(node);
            if (status.isEmpty()) {
              gone = true;
            } else if (statuses.isEmpty()
                || !statuses.get(statuses.size() - 1).equals(status.get())) {
              statuses.add(status.get());
            }
          } catch (IOException e) {
            LOG.warn("Cannot ask [{}] for members: {}", observer.name(), e.toString());
          }
          // Leaving and Exiting each last about one gossip round (1 s): 100 ms sees both.
          Thread.sleep(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Skips the remaining steps once one failed: each builds on the state the previous left. */
  static final class StopAfterFirstFailure implements TestWatcher, ExecutionCondition {
    private static final ExtensionContext.Namespace STATE =
        ExtensionContext.Namespace.create(StopAfterFirstFailure.class);

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      context.getParent().ifPresent(p -> p.getStore(STATE).put("failed", context.getDisplayName()));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      Object failed = context.getParent().map(p -> p.getStore(STATE).get("failed")).orElse(null);
      return failed == null
          ? ConditionEvaluationResult.enabled("no earlier step failed")
          : ConditionEvaluationResult.disabled("skipped: the earlier step " + failed + " failed");
    }
  }
}
