package io.hellocluster.tools.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The chart rendered by helm-java's bundled Helm, as {@code helm template} would (test hooks
 * included), and parsed into typed fabric8 objects. Offline: a local chart needs no repository.
 */
public final class RenderedChart {
  public static final String BROADCASTER = "broadcaster";
  public static final String RECEIVER = "receiver";

  public static final String HOOK_ANNOTATION = "helm.sh/hook";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final String HOOK_ALIAS = "hello-cluster.test/hook";
  // The key only, not helm.sh/hook-weight or hook-delete-policy; quoted or not.
  private static final Pattern HOOK_KEY = Pattern.compile("helm\\.sh/hook(?=\"?\\s*:)");
  private static Path hooksVisible;

  private final String release;
  private final String namespace;
  private final List<HasMetadata> resources;

  private RenderedChart(String release, String namespace, List<HasMetadata> resources) {
    this.release = release;
    this.namespace = namespace;
    this.resources = resources;
  }

  /** The chart's directory: set by surefire, or found from the module or the repository root. */
  public static Path chartDir() {
    String configured = System.getProperty("hello.chart.dir");
    if (configured != null) {
      return Paths.get(configured).toAbsolutePath().normalize();
    }
    for (String candidate : List.of("../charts/hello-cluster", "charts/hello-cluster")) {
      Path dir = Paths.get(candidate).toAbsolutePath().normalize();
      if (Files.isRegularFile(dir.resolve("Chart.yaml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("charts/hello-cluster not found; set -Dhello.chart.dir");
  }

  /** Renders with the chart's default values. */
  public static RenderedChart render(String release, String namespace) {
    return render(release, namespace, Map.of());
  }

  /** Renders with {@code --set key=value} for each entry of {@code values}. */
  public static RenderedChart render(String release, String namespace, Map<String, ?> values) {
    TemplateCommand template =
        new Helm(chartWithVisibleHooks()).template().withName(release).withNamespace(namespace);
    new LinkedHashMap<>(values).forEach(template::set);
    return parse(release, namespace, template.call());
  }

  private static RenderedChart parse(String release, String namespace, String manifests) {
    List<HasMetadata> parsed =
        Arrays.stream(manifests.split("(?m)^---\\s*$"))
            .filter(doc -> doc.lines().anyMatch(l -> !l.isBlank() && !l.startsWith("#")))
            .map(doc -> (KubernetesResource) SERIALIZATION.unmarshal(doc))
            .map(HasMetadata.class::cast)
            .map(RenderedChart::restoreHookAnnotation)
            .toList();
    return new RenderedChart(release, namespace, parsed);
  }

  /**
   * A copy of the chart whose hooks render as plain manifests. helm-java's template returns the
   * release manifest only, never hooks such as the {@code helm test} pod (unlike {@code helm
   * template}); Helm tells hooks apart by the annotation key alone, so the copy renames that key
   * and {@link #restoreHookAnnotation} renames it back. Nothing else differs from the chart.
   */
  private static synchronized Path chartWithVisibleHooks() {
    if (hooksVisible == null) {
      try {
        // Under target/ when run by Maven, so that `mvn clean` removes it.
        Path base =
            Paths.get(System.getProperty("hello.work.dir", System.getProperty("java.io.tmpdir")));
        Path copy = Files.createTempDirectory(Files.createDirectories(base), "chart-with-hooks-");
        Path source = chartDir();
        try (Stream<Path> files = Files.walk(source)) {
          for (Path file : files.toList()) {
            Path target = copy.resolve(source.relativize(file).toString());
            if (Files.isDirectory(file)) {
              Files.createDirectories(target);
            } else {
              String text = Files.readString(file, StandardCharsets.UTF_8);
              Files.writeString(target, HOOK_KEY.matcher(text).replaceAll(HOOK_ALIAS));
            }
          }
        }
        hooksVisible = copy;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return hooksVisible;
  }

  private static HasMetadata restoreHookAnnotation(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    if (annotations != null && annotations.containsKey(HOOK_ALIAS)) {
      annotations.put(HOOK_ANNOTATION, annotations.remove(HOOK_ALIAS));
    }
    return resource;
  }

  public String release() {
    return release;
  }

  public String namespace() {
    return namespace;
  }

  public List<HasMetadata> resources() {
    return resources;
  }

  public <T extends HasMetadata> List<T> all(Class<T> type) {
    return resources.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** The one resource of a type that the chart renders exactly once. */
  public <T extends HasMetadata> T single(Class<T> type) {
    List<T> found = all(type);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found);
    }
    return found.get(0);
  }

  /** The Deployment of one role, found by its component label. */
  public Deployment deployment(String component) {
    return byComponent(Deployment.class, component)
        .orElseThrow(() -> new AssertionError("no Deployment for component " + component));
  }

  public Optional<PodDisruptionBudget> pdb(String component) {
    return byComponent(PodDisruptionBudget.class, component);
  }

  public Service service() {
    return single(Service.class);
  }

  public Role role() {
    return single(Role.class);
  }

  /** Pods rendered as such: the {@code helm test} hooks. */
  public List<Pod> testPods() {
    return all(Pod.class);
  }

  private <T extends HasMetadata> Optional<T> byComponent(Class<T> type, String component) {
    return all(type).stream()
        .filter(r -> component.equals(labels(r).get("app.kubernetes.io/component")))
        .findFirst();
  }

  private static Map<String, String> labels(HasMetadata resource) {
    Map<String, String> labels = resource.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }

  /** The single container of a role's pod template. */
  public static Container container(Deployment deployment) {
    List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
    if (containers.size() != 1) {
      throw new AssertionError("expected one container, found " + containers.size());
    }
    return containers.get(0);
  }

  /** A container's environment variable, failing when it is not set. */
  public static EnvVar env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> name.equals(e.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
  }

  /** Parses an equality-based label selector {@code k=v,k=v} as rendered by the chart. */
  public static Map<String, String> parseSelector(String selector) {
    Map<String, String> pairs = new LinkedHashMap<>();
    for (String term : selector.split(",")) {
      String[] kv = term.trim().split("=", -1);
      if (kv.length != 2 || kv[0].isEmpty() || kv[0].endsWith("!")) {
        throw new AssertionError("not an equality term: '" + term + "' in '" + selector + "'");
      }
      pairs.put(kv[0], kv[1]);
    }
    return pairs;
  }

  /** Whether every pair of the selector is among the labels. */
  public static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return !selector.isEmpty()
        && selector.entrySet().stream()
            .allMatch(e -> labels != null && e.getValue().equals(labels.get(e.getKey())));
  }
}
