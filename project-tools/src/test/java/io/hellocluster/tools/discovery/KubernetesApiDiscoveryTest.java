package io.hellocluster.tools.discovery;

import static io.hellocluster.tools.chart.RenderedChart.BROADCASTER;
import static io.hellocluster.tools.chart.RenderedChart.RECEIVER;
import static io.hellocluster.tools.chart.RenderedChart.container;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.hellocluster.HelloNode;
import io.hellocluster.tools.chart.RenderedChart;
import io.hellocluster.tools.kube.MockKubernetesApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.Lookup;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app's unmodified {@code kubernetes-api} discovery forms a cluster from a mock Kubernetes API
 * server over HTTPS, holding pods shaped like the chart's: its pod templates, labels and
 * environment. Pods that must not become contact points (not running, terminating, another
 * release's, the {@code helm test} pod, another namespace's) sit at addresses where nothing
 * listens: were one of them taken, bootstrap (which waits to reach every contact point) would never
 * form the cluster.
 *
 * <p>Limitations: every node shares this JVM's network namespace, so each binds its own loopback
 * address instead of the chart's {@code 0.0.0.0}; the API server's address comes from the process
 * environment, which surefire sets (running this class outside Maven fails fast).
 */
@ExtendWith(LogCapturingExtension.class)
class KubernetesApiDiscoveryTest {
  private static final String NS = "hello";
  private static final String RELEASE = "hello";
  private static final String HOST_ENV = "HELLO_TEST_API_HOST";
  private static final String PORT_ENV = "HELLO_TEST_API_PORT";
  private static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration TERMINATION_TIMEOUT = Duration.ofSeconds(30);

  /** One node: the pod the mock API lists and the ActorSystem standing in for its JVM. */
  private record Node(String podName, String ip, String role, ActorSystem<Void> system) {}

  @TempDir static Path secrets;

  private static RenderedChart chart;
  private static MockKubernetesApi api;
  private static KubernetesClient client;
  private static final List<Node> nodes = new ArrayList<>();

  @BeforeAll
  static void startApiServerAndNodes() throws Exception {
    String host = System.getenv(HOST_ENV);
    String port = System.getenv(PORT_ENV);
    assertNotNull(port, PORT_ENV + " is unset: run through Maven, whose surefire sets it");
    chart =
        RenderedChart.render(
            RELEASE, NS, Map.of("broadcaster.replicas", 1, "receiver.replicas", 2));
    api = MockKubernetesApi.start(host, Integer.parseInt(port));
    client = api.client();
    Path token = Files.writeString(secrets.resolve("token"), "not-checked-by-the-mock");
    Path ca = api.certificate();

    Map<String, String> goodPods = new LinkedHashMap<>();
    goodPods.put("127.0.0.2", BROADCASTER);
    goodPods.put("127.0.0.3", RECEIVER);
    goodPods.put("127.0.0.4", RECEIVER);
    int i = 0;
    Map<String, Pod> created = new LinkedHashMap<>();
    for (var entry : goodPods.entrySet()) {
      String name = chart.deployment(entry.getValue()).getMetadata().getName() + "-pod" + i++;
      created.put(entry.getKey(), create(podOf(entry.getValue(), name, NS, entry.getKey())));
    }
    createPodsThatAreNoContactPoints();

    try {
      for (var entry : created.entrySet()) {
        String role = goodPods.get(entry.getKey());
        Config config = nodeConfig(entry.getValue(), role, ca, token);
        ActorSystem<Void> system = HelloNode.start(HelloNode.load(config));
        nodes.add(new Node(entry.getValue().getMetadata().getName(), entry.getKey(), role, system));
      }
      awaitAllUp();
    } catch (Exception | Error e) {
      stopAll();
      throw e;
    }
  }

  @AfterAll
  static void stopAll() {
    try {
      nodes.forEach(n -> n.system().terminate());
      for (Node n : nodes) {
        n.system()
            .getWhenTerminated()
            .toCompletableFuture()
            .get(TERMINATION_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new AssertionError("nodes did not terminate in " + TERMINATION_TIMEOUT, e);
    } finally {
      nodes.clear();
      client = null;
      if (api != null) {
        api.close();
        api = null;
      }
    }
  }

  @Test
  void everyRunningPodOfTheReleaseIsAnUpMember() {
    Set<String> expected = nodes.stream().map(Node::ip).collect(Collectors.toSet());
    for (Node node : nodes) {
      List<Member> members = members(node.system());
      assertEquals(expected, hosts(members), "members seen by " + node.podName());
      for (Member m : members) {
        assertEquals(MemberStatus.up(), m.status(), m.toString());
        assertEquals(7355, (int) m.address().getPort().orElseThrow(), "the remoting port");
      }
    }
  }

  @Test
  void membersCarryTheRoleOfTheirDeployment() {
    List<Member> members = members(nodes.get(0).system());
    for (Node node : nodes) {
      Member member =
          members.stream()
              .filter(m -> node.ip().equals(m.address().getHost().orElseThrow()))
              .findFirst()
              .orElseThrow();
      assertTrue(member.getRoles().contains(node.role()), member + " has " + node.role());
    }
  }

  @Test
  void lookupReturnsOnlyTheRunningPodsOfTheRelease() throws Exception {
    ServiceDiscovery discovery =
        Discovery.get(nodes.get(0).system()).loadServiceDiscovery("kubernetes-api");
    var resolved =
        discovery
            .lookup(Lookup.create(RELEASE).withPortName("management"), Duration.ofSeconds(5))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    Set<String> targets =
        resolved.getAddresses().stream()
            .map(t -> t.host() + ":" + t.getPort().orElseThrow())
            .collect(Collectors.toSet());
    assertEquals(Set.of("127.0.0.2:7626", "127.0.0.3:7626", "127.0.0.4:7626"), targets);

    // What the chart's Role allows: listing pods in the release's namespace, by label.
    RecordedRequest request = api.lastRequest();
    assertEquals("GET", request.getMethod());
    String selector =
        RenderedChart.env(container(chart.deployment(RECEIVER)), "HELLO_POD_LABEL_SELECTOR")
            .getValue();
    URI uri = URI.create(request.getPath());
    assertEquals("/api/v1/namespaces/" + NS + "/pods", uri.getPath());
    assertEquals("labelSelector=" + selector, uri.getQuery());
  }

  @Test
  void everyNodeReportsReadyOnTheProbedPath() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String path = container(chart.deployment(RECEIVER)).getReadinessProbe().getHttpGet().getPath();
    for (Node node : nodes) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + node.ip() + ":7626" + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), node.podName() + ": " + response.body());
    }
  }

  /**
   * A Running pod lacking the label, one Pending, one being deleted, the {@code helm test} pod and
   * a pod of another namespace: all at addresses where nothing listens.
   */
  private static void createPodsThatAreNoContactPoints() {
    Pod pending = podOf(RECEIVER, "pending", NS, "127.0.0.10");
    pending.getStatus().setPhase("Pending");
    create(pending);

    // The API server sets deletionTimestamp itself: on deleting a pod that a finalizer holds.
    Pod terminating = podOf(RECEIVER, "terminating", NS, "127.0.0.11");
    terminating.getMetadata().setFinalizers(List.of("hello-cluster.test/hold"));
    client.pods().inNamespace(NS).resource(create(terminating)).delete();
    Pod held = client.pods().inNamespace(NS).withName("terminating").get();
    assertNotNull(held, "a finalizer holds the deleted pod");
    assertNotNull(held.getMetadata().getDeletionTimestamp(), "the held pod is terminating");

    PodTemplateSpec otherRelease =
        RenderedChart.render("other", NS).deployment(RECEIVER).getSpec().getTemplate();
    create(running(otherRelease, "other-release", NS, "127.0.0.12"));

    Pod testPod = chart.testPods().get(0);
    create(
        new PodBuilder(testPod)
            .editMetadata()
            .withNamespace(NS)
            .endMetadata()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP("127.0.0.13")
            .endStatus()
            .build());

    create(podOf(RECEIVER, "elsewhere", "elsewhere", "127.0.0.14"));
  }

  private static Pod podOf(String role, String name, String namespace, String ip) {
    return running(chart.deployment(role).getSpec().getTemplate(), name, namespace, ip);
  }

  /** A pod as the Deployment's ReplicaSet would create it, scheduled and running at {@code ip}. */
  private static Pod running(PodTemplateSpec template, String name, String namespace, String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(template.getMetadata().getLabels())
        .endMetadata()
        .withSpec(template.getSpec())
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .endStatus()
        .build();
  }

  private static Pod create(Pod pod) {
    return client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
  }

  /**
   * The node's configuration as the pod's JVM would read it: the chart's rendered environment
   * (downward API fields filled in) in place of the process's, plus what a pod gets from its
   * mounted service account and what only a test needs.
   */
  private static Config nodeConfig(Pod pod, String role, Path ca, Path token) {
    Map<String, String> fields =
        Map.of(
            "status.podIP", pod.getStatus().getPodIP(),
            "metadata.namespace", pod.getMetadata().getNamespace(),
            "metadata.name", pod.getMetadata().getName());
    Map<String, Object> env = new HashMap<>();
    for (EnvVar var : container(chart.deployment(role)).getEnv()) {
      env.put(
          var.getName(),
          var.getValueFrom() == null
              ? var.getValue()
              : fields.get(var.getValueFrom().getFieldRef().getFieldPath()));
    }
    String ip = pod.getStatus().getPodIP();
    Map<String, Object> test = new HashMap<>();
    // Pods bind 0.0.0.0 in their own network namespace; here all nodes share one.
    test.put("hello-cluster.bind-hostname", ip);
    test.put("pekko.discovery.kubernetes-api.api-ca-path", ca.toString());
    test.put("pekko.discovery.kubernetes-api.api-token-path", token.toString());
    test.put("pekko.discovery.kubernetes-api.api-service-host-env-name", HOST_ENV);
    test.put("pekko.discovery.kubernetes-api.api-service-port-env-name", PORT_ENV);
    // Seconds instead of the defaults' tens of seconds; the logic is the same.
    test.put("pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin", "1s");
    test.put("pekko.management.cluster.bootstrap.contact-point-discovery.interval", "500ms");
    // The test JVM outlives its nodes.
    test.put("pekko.coordinated-shutdown.exit-jvm", "off");
    test.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    return ConfigFactory.parseMap(test).withFallback(ConfigFactory.parseMap(env));
  }

  private static void awaitAllUp() throws InterruptedException {
    Instant deadline = Instant.now().plus(FORMATION_TIMEOUT);
    Set<String> expected = nodes.stream().map(Node::ip).collect(Collectors.toSet());
    while (Instant.now().isBefore(deadline)) {
      boolean allUp =
          nodes.stream()
              .map(n -> members(n.system()))
              .allMatch(
                  ms ->
                      hosts(ms).equals(expected)
                          && ms.stream().allMatch(m -> m.status() == MemberStatus.up()));
      if (allUp) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "no cluster of "
            + expected
            + " in "
            + FORMATION_TIMEOUT
            + "; last seen by first node: "
            + members(nodes.get(0).system()));
  }

  private static List<Member> members(ActorSystem<?> system) {
    List<Member> members = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(members::add);
    return members;
  }

  private static Set<String> hosts(List<Member> members) {
    return members.stream()
        .map(m -> m.address().getHost().orElseThrow())
        .collect(Collectors.toSet());
  }
}
