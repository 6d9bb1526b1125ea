package io.hellocluster.e2e;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The chart as {@code helm template} renders it with its default values, reduced to what the
 * harness runs: its Deployments. Everything else it renders (Services, RBAC, the PDB, the test
 * hook) has no counterpart here.
 */
record RenderedChart(String release, String namespace, List<Deployment> deployments) {

  static RenderedChart render(Path chartDir, String release, String namespace) {
    KubernetesSerialization yaml = new KubernetesSerialization();
    String manifest =
        new Helm(chartDir).template().withName(release).withNamespace(namespace).call();
    List<Deployment> deployments =
        Arrays.stream(manifest.split("(?m)^---\\s*$"))
            .filter(document -> document.contains("kind:"))
            .map(document -> yaml.<HasMetadata>unmarshal(document))
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .toList();
    if (deployments.isEmpty()) {
      throw new IllegalStateException("the chart at " + chartDir + " renders no Deployment");
    }
    return new RenderedChart(release, namespace, deployments);
  }
}
