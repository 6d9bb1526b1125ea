package io.hellocluster.tools.chart;

import static io.hellocluster.tools.chart.RenderedChart.BROADCASTER;
import static io.hellocluster.tools.chart.RenderedChart.RECEIVER;
import static io.hellocluster.tools.chart.RenderedChart.container;
import static io.hellocluster.tools.chart.RenderedChart.env;
import static io.hellocluster.tools.chart.RenderedChart.parseSelector;
import static io.hellocluster.tools.chart.RenderedChart.selects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.hellocluster.HelloNode;
import io.hellocluster.HelloSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What Kubernetes API discovery and cluster bootstrap need from the chart: pods of both roles found
 * by one label selector, the management port under the name the app looks for, the app's settings
 * fed from the rendered environment, and read access to pods.
 */
class ClusterFormationContractTest {
  private static final String NS = "hello";
  private static final String BOOTSTRAP =
      "pekko.management.cluster.bootstrap.contact-point-discovery.";
  private static final String K8S_API = "pekko.discovery.kubernetes-api.";
  private static final String POD_IP = "10.1.2.3";

  private final RenderedChart chart = RenderedChart.render("hello", NS);

  @Test
  void discoverySelectorSelectsThePodsOfBothRolesAndNoOthers() {
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      Deployment deployment = chart.deployment(component);
      Map<String, String> selector = selector(deployment);
      assertEquals("hello", selector.get("app.kubernetes.io/instance"), "selector names release");
      Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
      selector.forEach(
          (key, value) -> assertEquals(value, podLabels.get(key), component + " pod label " + key));
    }
    assertEquals(
        selector(chart.deployment(BROADCASTER)),
        selector(chart.deployment(RECEIVER)),
        "both roles look for the same pods");
    for (Pod testPod : chart.testPods()) {
      assertFalse(
          selects(selector(chart.deployment(RECEIVER)), testPod.getMetadata().getLabels()),
          "the helm test pod " + testPod.getMetadata().getName() + " is no cluster node");
    }
  }

  @Test
  void eachDeploymentSelectsOnlyItsOwnRolesPods() {
    Map<String, String> broadcasterPods = podLabels(BROADCASTER);
    Map<String, String> receiverPods = podLabels(RECEIVER);
    Map<String, String> broadcasterSelector =
        chart.deployment(BROADCASTER).getSpec().getSelector().getMatchLabels();
    Map<String, String> receiverSelector =
        chart.deployment(RECEIVER).getSpec().getSelector().getMatchLabels();
    assertTrue(selects(broadcasterSelector, broadcasterPods));
    assertFalse(selects(broadcasterSelector, receiverPods));
    assertTrue(selects(receiverSelector, receiverPods));
    assertFalse(selects(receiverSelector, broadcasterPods));
  }

  @Test
  void serviceSendsTrafficToReceiversOnly() {
    Service service = chart.service();
    Map<String, String> selector = service.getSpec().getSelector();
    assertTrue(selects(selector, podLabels(RECEIVER)), "Service selects receiver pods");
    assertFalse(selects(selector, podLabels(BROADCASTER)), "Service skips broadcaster pods");
    assertEquals(1, service.getSpec().getPorts().size());
    assertEquals("http", service.getSpec().getPorts().get(0).getTargetPort().getStrVal());
  }

  @Test
  void namedPortsMatchThePortsTheAppListensOn() {
    Config app = appDefaults();
    String portName = app.getString(BOOTSTRAP + "port-name");
    assertEquals("management", portName);
    Map<String, Integer> expected =
        Map.of(
            "remoting",
            app.getInt("pekko.remote.artery.canonical.port"),
            portName,
            app.getInt("pekko.management.http.port"));
    assertEquals(Map.of("remoting", 7355, "management", 7626), expected);
    assertEquals(expected, ports(BROADCASTER));
    Map<String, Integer> receiverExpected = new HashMap<>(expected);
    receiverExpected.put("http", app.getInt("hello-cluster.http.port"));
    assertEquals(Map.of("remoting", 7355, "management", 7626, "http", 8080), receiverExpected);
    assertEquals(receiverExpected, ports(RECEIVER));
  }

  @Test
  void podEnvironmentPointsDiscoveryAtThePod() {
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      Container c = container(chart.deployment(component));
      assertEquals("status.podIP", fieldPath(env(c, "HELLO_HOSTNAME")), component);
      assertEquals("metadata.namespace", fieldPath(env(c, "HELLO_POD_NAMESPACE")), component);
      assertEquals("kubernetes-api", env(c, "HELLO_DISCOVERY_METHOD").getValue(), component);
      assertEquals(component, env(c, "HELLO_ROLES").getValue());
      assertEquals("4", env(c, "HELLO_REQUIRED_CONTACT_POINTS").getValue(), component);
    }
  }

  @Test
  void everyRenderedHelloVariableIsOneTheAppReads() throws IOException {
    Set<String> read = variablesTheAppReads();
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      Set<String> rendered =
          container(chart.deployment(component)).getEnv().stream()
              .map(EnvVar::getName)
              .filter(name -> name.startsWith("HELLO_"))
              .collect(Collectors.toCollection(TreeSet::new));
      rendered.removeAll(read);
      assertEquals(Set.of(), rendered, component + " sets variables the app never reads");
    }
  }

  /**
   * Loads the app's own configuration with each pod's rendered environment in place of the
   * process's, as the JVM in the pod would, and checks what bootstrap and discovery end up with.
   */
  @ParameterizedTest
  @ValueSource(strings = {BROADCASTER, RECEIVER})
  void appConfiguredFromTheRenderedEnvironmentFindsThePods(String component) {
    Deployment deployment = chart.deployment(component);
    Container container = container(deployment);
    Config config = configFromEnv(environment(container));
    HelloSettings settings = HelloSettings.from(config);

    assertEquals(Set.of(component), settings.roles());
    assertEquals(POD_IP, settings.hostname());
    assertEquals("0.0.0.0", settings.bindHostname());
    assertEquals(POD_IP, config.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(POD_IP, config.getString("pekko.management.http.hostname"));
    assertEquals("kubernetes-api", config.getString(BOOTSTRAP + "discovery-method"));
    assertEquals(4, config.getInt(BOOTSTRAP + "required-contact-point-nr"));
    assertEquals(NS, config.getString(K8S_API + "pod-namespace"));
    assertTrue(config.getBoolean(K8S_API + "use-raw-ip"), "contact points are pod IPs");
    Map<String, String> selector = parseSelector(config.getString(K8S_API + "pod-label-selector"));
    assertTrue(selects(selector, podLabels(BROADCASTER)), "finds broadcaster pods");
    assertTrue(selects(selector, podLabels(RECEIVER)), "finds receiver pods");

    Map<String, Integer> ports = ports(component);
    String portName = config.getString(BOOTSTRAP + "port-name");
    assertEquals(
        config.getInt("pekko.management.http.port"),
        ports.get(portName),
        "container port named " + portName + " (bootstrap's port-name)");
    assertEquals(
        config.getInt("pekko.remote.artery.canonical.port"),
        ports.get("remoting"),
        "container port named remoting");
    if (settings.isReceiver()) {
      assertEquals(settings.httpPort(), ports.get("http"), "container port named http");
    }
  }

  @Test
  void roleGrantsReadingPodsAndNothingElse() {
    List<PolicyRule> rules = chart.role().getRules();
    assertEquals(1, rules.size(), () -> "rules: " + rules);
    PolicyRule rule = rules.get(0);
    assertEquals(List.of(""), rule.getApiGroups());
    assertEquals(List.of("pods"), rule.getResources());
    assertEquals(Set.of("get", "watch", "list"), Set.copyOf(rule.getVerbs()));
    assertEquals(3, rule.getVerbs().size());
    assertTrue(rule.getResourceNames() == null || rule.getResourceNames().isEmpty());
    assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty());
    assertTrue(chart.all(ClusterRole.class).isEmpty(), "no cluster-wide rights");
    assertTrue(chart.all(ClusterRoleBinding.class).isEmpty(), "no cluster-wide rights");
  }

  @Test
  void roleIsBoundToTheAccountThePodsRunAs() {
    RoleBinding binding = chart.single(RoleBinding.class);
    assertEquals("Role", binding.getRoleRef().getKind());
    assertEquals(chart.role().getMetadata().getName(), binding.getRoleRef().getName());
    assertEquals(1, binding.getSubjects().size());
    var subject = binding.getSubjects().get(0);
    assertEquals("ServiceAccount", subject.getKind());
    assertEquals(NS, subject.getNamespace());
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      var spec = chart.deployment(component).getSpec().getTemplate().getSpec();
      assertEquals(subject.getName(), spec.getServiceAccountName(), component);
      assertNotNull(spec.getAutomountServiceAccountToken(), "token mount is explicit");
      assertTrue(spec.getAutomountServiceAccountToken(), "discovery reads the token");
    }
  }

  private Map<String, String> podLabels(String component) {
    return chart.deployment(component).getSpec().getTemplate().getMetadata().getLabels();
  }

  private Map<String, Integer> ports(String component) {
    return container(chart.deployment(component)).getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
  }

  private static Map<String, String> selector(Deployment deployment) {
    return parseSelector(env(container(deployment), "HELLO_POD_LABEL_SELECTOR").getValue());
  }

  private static String fieldPath(EnvVar var) {
    assertNull(var.getValue(), var.getName() + " comes from the pod, not a literal");
    return var.getValueFrom().getFieldRef().getFieldPath();
  }

  /** The container's environment as the kubelet would fill it in for one pod. */
  private Map<String, String> environment(Container container) {
    Map<String, String> fields =
        Map.of(
            "status.podIP", POD_IP,
            "metadata.namespace", NS,
            "metadata.name", container.getName() + "-7d9f8b6c5d-abcde");
    Map<String, String> env = new HashMap<>();
    for (EnvVar var : container.getEnv()) {
      if (var.getValueFrom() != null) {
        String path = var.getValueFrom().getFieldRef().getFieldPath();
        assertTrue(fields.containsKey(path), "unexpected field " + path);
        env.put(var.getName(), fields.get(path));
      } else {
        env.put(var.getName(), var.getValue());
      }
    }
    return env;
  }

  /** The app's application.conf resolved against the given variables only, never the JVM's. */
  static Config configFromEnv(Map<String, String> env) {
    Config app = ConfigFactory.parseResources(HelloNode.class.getClassLoader(), "application.conf");
    return ConfigFactory.parseMap(env).withFallback(app).resolve(ConfigResolveOptions.noSystem());
  }

  private static Config appDefaults() {
    return configFromEnv(Map.of());
  }

  private static Set<String> variablesTheAppReads() throws IOException {
    try (InputStream in =
        HelloNode.class.getClassLoader().getResourceAsStream("application.conf")) {
      assertNotNull(in, "application.conf on the app's classpath");
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("\\$\\{\\?(HELLO_[A-Z0-9_]+)}").matcher(text);
      Set<String> names = new TreeSet<>();
      while (m.find()) {
        names.add(m.group(1));
      }
      return names;
    }
  }
}
