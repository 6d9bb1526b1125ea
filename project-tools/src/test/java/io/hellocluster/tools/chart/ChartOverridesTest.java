package io.hellocluster.tools.chart;

import static io.hellocluster.tools.chart.RenderedChart.BROADCASTER;
import static io.hellocluster.tools.chart.RenderedChart.RECEIVER;
import static io.hellocluster.tools.chart.RenderedChart.container;
import static io.hellocluster.tools.chart.RenderedChart.env;
import static io.hellocluster.tools.chart.RenderedChart.parseSelector;
import static io.hellocluster.tools.chart.RenderedChart.selects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The chart rendered with values other than its defaults, as operators will install it. */
class ChartOverridesTest {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

  /** The longest release name Helm accepts: 53 characters. */
  private static final String LONG_RELEASE =
      "a-release-name-of-fifty-three-characters-helm-allows0";

  @ParameterizedTest(name = "{0} broadcasters + {1} receivers")
  @CsvSource({"3, 4", "1, 1", "1, 3", "5, 2"})
  void everyPodWaitsForAllPodsOfTheRelease(int broadcasters, int receivers) {
    RenderedChart chart =
        RenderedChart.render(
            "hello",
            "hello",
            Map.of("broadcaster.replicas", broadcasters, "receiver.replicas", receivers));
    assertEquals(broadcasters, chart.deployment(BROADCASTER).getSpec().getReplicas());
    assertEquals(receivers, chart.deployment(RECEIVER).getSpec().getReplicas());
    String total = String.valueOf(broadcasters + receivers);
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      Deployment d = chart.deployment(component);
      assertEquals(total, env(container(d), "HELLO_REQUIRED_CONTACT_POINTS").getValue());
    }
  }

  @ParameterizedTest(name = "{0} broadcasters + {1} receivers")
  @CsvSource({"2, 2", "1, 1", "1, 3", "3, 1"})
  void budgetsExistOnlyForRolesWithSeveralPods(int broadcasters, int receivers) {
    RenderedChart chart =
        RenderedChart.render(
            "hello",
            "hello",
            Map.of("broadcaster.replicas", broadcasters, "receiver.replicas", receivers));
    Map<String, Integer> replicas = Map.of(BROADCASTER, broadcasters, RECEIVER, receivers);
    replicas.forEach(
        (component, count) -> {
          Optional<PodDisruptionBudget> pdb = chart.pdb(component);
          assertEquals(count > 1, pdb.isPresent(), component + " with " + count + " pods");
          pdb.ifPresent(
              budget -> {
                Map<String, String> selector = budget.getSpec().getSelector().getMatchLabels();
                for (String other : List.of(BROADCASTER, RECEIVER)) {
                  Map<String, String> labels = podLabels(chart, other);
                  assertEquals(other.equals(component), selects(selector, labels), other);
                }
                assertEquals(1, budget.getSpec().getMaxUnavailable().getIntVal());
              });
        });
    assertEquals(
        (broadcasters > 1 ? 1 : 0) + (receivers > 1 ? 1 : 0),
        chart.all(PodDisruptionBudget.class).size());
  }

  @Test
  void resourcesAreSetPerRole() {
    RenderedChart chart =
        RenderedChart.render(
            "hello",
            "hello",
            Map.of(
                "broadcaster.resources.requests.memory", "1Gi",
                "broadcaster.resources.limits.memory", "1Gi",
                "broadcaster.resources.requests.cpu", "500m",
                "receiver.resources.requests.memory", "768Mi",
                "receiver.resources.limits.memory", "768Mi"));
    ResourceRequirements broadcaster = container(chart.deployment(BROADCASTER)).getResources();
    assertEquals("1Gi", broadcaster.getRequests().get("memory").toString());
    assertEquals("1Gi", broadcaster.getLimits().get("memory").toString());
    assertEquals("500m", broadcaster.getRequests().get("cpu").toString());
    assertNull(broadcaster.getLimits().get("cpu"));
    ResourceRequirements receiver = container(chart.deployment(RECEIVER)).getResources();
    assertEquals("768Mi", receiver.getRequests().get("memory").toString());
    assertEquals("768Mi", receiver.getLimits().get("memory").toString());
    assertEquals("250m", receiver.getRequests().get("cpu").toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"my-rel", "hello-cluster", "hello-cluster-prod", LONG_RELEASE})
  void anyReleaseNameGivesValidDistinctNamesAndItsOwnSelector(String release) {
    assertTrue(release.length() <= 53);
    RenderedChart chart = RenderedChart.render(release, "team-a");

    Set<String> seen = new HashSet<>();
    for (HasMetadata resource : chart.resources()) {
      String name = resource.getMetadata().getName();
      assertTrue(name.length() <= 63, name + " fits a DNS label");
      assertTrue(DNS_LABEL.matcher(name).matches(), name + " is a DNS label");
      assertTrue(seen.add(resource.getKind() + "/" + name), "duplicate " + name);
      assertValidLabels(resource.getMetadata().getLabels(), name);
    }
    assertTrue(Character.isLetter(chart.service().getMetadata().getName().charAt(0)));

    for (String component : List.of(BROADCASTER, RECEIVER)) {
      Deployment d = chart.deployment(component);
      assertTrue(d.getMetadata().getName().endsWith("-" + component), d.getMetadata().getName());
      assertValidLabels(d.getSpec().getTemplate().getMetadata().getLabels(), component + " pods");
      Map<String, String> selector =
          parseSelector(env(container(d), "HELLO_POD_LABEL_SELECTOR").getValue());
      assertEquals(release, selector.get("app.kubernetes.io/instance"));
      assertTrue(selects(selector, podLabels(chart, BROADCASTER)), component);
      assertTrue(selects(selector, podLabels(chart, RECEIVER)), component);
      assertFalse(
          selects(selector, podLabels(RenderedChart.render("other", "team-a"), RECEIVER)),
          "another release's pods form their own cluster");
    }
    RoleBinding binding = chart.single(RoleBinding.class);
    assertEquals("team-a", binding.getSubjects().get(0).getNamespace());
  }

  @Test
  void helmItselfRefusesReleaseNamesLongerThan53Characters() {
    String tooLong = LONG_RELEASE + "-seven";
    Exception e = assertThrows(Exception.class, () -> RenderedChart.render(tooLong, "team-a"));
    assertTrue(e.getMessage().contains("53"), e.getMessage());
  }

  private static void assertValidLabels(Map<String, String> labels, String owner) {
    if (labels == null) {
      return;
    }
    labels.forEach(
        (key, value) -> {
          assertTrue(value.length() <= 63, owner + " label " + key + "=" + value);
          assertTrue(LABEL_VALUE.matcher(value).matches(), owner + " label " + key + "=" + value);
        });
  }

  private static Map<String, String> podLabels(RenderedChart chart, String component) {
    return chart.deployment(component).getSpec().getTemplate().getMetadata().getLabels();
  }
}
