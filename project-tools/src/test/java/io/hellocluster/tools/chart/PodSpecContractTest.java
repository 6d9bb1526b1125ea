package io.hellocluster.tools.chart;

import static io.hellocluster.tools.chart.RenderedChart.BROADCASTER;
import static io.hellocluster.tools.chart.RenderedChart.RECEIVER;
import static io.hellocluster.tools.chart.RenderedChart.container;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How the chart runs each container: probes, hardening, resources, image and shutdown. */
class PodSpecContractTest {
  private final RenderedChart chart = RenderedChart.render("hello", "hello");

  @ParameterizedTest
  @ValueSource(strings = {BROADCASTER, RECEIVER})
  void probesUseManagementHealthPaths(String component) {
    // The paths Pekko Management serves, from its own reference configuration.
    Config health = ConfigFactory.defaultReference().getConfig("pekko.management.health-checks");
    Container c = container(chart.deployment(component));
    String ready = "/" + health.getString("readiness-path");
    String alive = "/" + health.getString("liveness-path");
    assertEquals(List.of("/ready", "/alive"), List.of(ready, alive));
    assertHttpGet(c.getReadinessProbe(), ready, "readiness");
    assertHttpGet(c.getLivenessProbe(), alive, "liveness");
    assertNotNull(c.getStartupProbe(), "a startup probe shields liveness during bootstrap");
    HTTPGetAction startup = c.getStartupProbe().getHttpGet();
    assertNotNull(startup, "startup probe is an HTTP check");
    assertEquals("management", startup.getPort().getStrVal());
  }

  @Test
  void everyContainerIsHardened() {
    List<PodSpec> specs = new ArrayList<>();
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      specs.add(chart.deployment(component).getSpec().getTemplate().getSpec());
    }
    chart.testPods().stream().map(Pod::getSpec).forEach(specs::add);
    assertTrue(specs.size() >= 3, "both roles and the helm test pod");
    for (PodSpec spec : specs) {
      PodSecurityContext pod = spec.getSecurityContext();
      for (Container c : spec.getContainers()) {
        String name = c.getName();
        SecurityContext sc = c.getSecurityContext();
        assertNotNull(sc, name + " has a securityContext");
        assertEquals(
            Boolean.TRUE, firstSet(sc.getRunAsNonRoot(), pod.getRunAsNonRoot()), name + " nonroot");
        assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), name + " read-only root fs");
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), name + " no escalation");
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), name + " drops ALL");
        assertTrue(
            sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty(),
            name + " adds no capability");
        assertFalse(Boolean.TRUE.equals(sc.getPrivileged()), name + " is not privileged");
        SeccompProfile seccomp = firstSet(sc.getSeccompProfile(), pod.getSeccompProfile());
        assertNotNull(seccomp, name + " has a seccomp profile");
        assertEquals("RuntimeDefault", seccomp.getType(), name + " seccomp");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {BROADCASTER, RECEIVER})
  void memoryIsGuaranteedAndCpuIsNotCapped(String component) {
    ResourceRequirements resources = container(chart.deployment(component)).getResources();
    Quantity request = resources.getRequests().get("memory");
    assertNotNull(request, "memory request");
    assertEquals(
        request.getNumericalAmount(),
        resources.getLimits().get("memory").getNumericalAmount(),
        "memory request == limit");
    assertNull(resources.getLimits().get("cpu"), "no CPU limit: throttling stalls the JVM");
    assertNotNull(resources.getRequests().get("cpu"), "a CPU request to be scheduled by");
  }

  @Test
  void imageIsTaggedWithTheAppVersionNeverLatest() {
    for (String component : List.of(BROADCASTER, RECEIVER)) {
      String image = container(chart.deployment(component)).getImage();
      assertEquals("hello-cluster:0.1.0-SNAPSHOT", image, component);
    }
    String tagged =
        container(
                RenderedChart.render("hello", "hello", Map.of("image.tag", "0.1.0-abc1234"))
                    .deployment(RECEIVER))
            .getImage();
    assertEquals("hello-cluster:0.1.0-abc1234", tagged);
  }

  @Test
  void refusesToRenderTheLatestTag() {
    for (String latest : List.of("latest", "Latest")) {
      Exception e =
          assertThrows(
              Exception.class,
              () -> RenderedChart.render("hello", "hello", Map.of("image.tag", latest)));
      assertTrue(e.getMessage().contains("latest"), e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {BROADCASTER, RECEIVER})
  void shutdownGetsMoreTimeThanCoordinatedShutdown(String component) {
    PodSpec spec = chart.deployment(component).getSpec().getTemplate().getSpec();
    assertNotNull(spec.getTerminationGracePeriodSeconds());
    assertTrue(spec.getTerminationGracePeriodSeconds() > 30, "grace period > 30 s");
  }

  @Test
  void helmTestPodIsAHookRunningTheAppImage() {
    List<Pod> pods = chart.testPods();
    assertEquals(1, pods.size(), "one helm test pod");
    Pod pod = pods.get(0);
    assertEquals("test", pod.getMetadata().getAnnotations().get(RenderedChart.HOOK_ANNOTATION));
    assertEquals("Never", pod.getSpec().getRestartPolicy());
    String appImage = container(chart.deployment(RECEIVER)).getImage();
    for (Container c : pod.getSpec().getContainers()) {
      assertEquals(appImage, c.getImage(), "the test needs no other image");
      assertTrue(String.join(" ", c.getArgs()).contains(chart.service().getMetadata().getName()));
    }
  }

  private static void assertHttpGet(Probe probe, String path, String what) {
    assertNotNull(probe, what + " probe");
    HTTPGetAction get = probe.getHttpGet();
    assertNotNull(get, what + " probe is an HTTP check");
    assertEquals(path, get.getPath(), what + " path");
    assertEquals("management", get.getPort().getStrVal(), what + " port");
  }

  private static <T> T firstSet(T first, T second) {
    return first != null ? first : second;
  }
}
