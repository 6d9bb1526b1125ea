package io.hellocluster.e2e;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.hellocluster.tools.kube.MockKubernetesApi;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One pod of a rendered Deployment, run as a podman container the way a kubelet would run it: the
 * pod template's image, command, arguments, environment (downward API fields resolved to this pod's
 * name, namespace and IP), security context, memory and CPU, emptyDir volumes and the service
 * account folder. Its network is the host's, and its "pod IP" a loopback address of its own; only
 * single-container pods and the volume and field kinds the chart uses are supported, anything else
 * fails loudly rather than being run differently from the spec.
 */
final class ChartPod {
  static final String SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

  /** The characters Kubernetes uses in generated name suffixes: no vowels, no look-alikes. */
  private static final String NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private final Deployment deployment;
  private final String name;
  private final String namespace;
  private final String ip;

  ChartPod(Deployment deployment, String name, String namespace, String ip) {
    this.deployment = deployment;
    this.name = name;
    this.namespace = namespace;
    this.ip = ip;
    if (spec().getContainers().size() != 1 || !spec().getInitContainers().isEmpty()) {
      throw unsupported("pods with other than exactly one container");
    }
  }

  /** A name like a ReplicaSet gives its pods: {@code <deployment>-<template hash>-<suffix>}. */
  static String podName(Deployment deployment) {
    String template = Serialization.asJson(deployment.getSpec().getTemplate());
    return deployment.getMetadata().getName()
        + "-"
        + suffix(Integer.toUnsignedLong(template.hashCode()), 10)
        + "-"
        + suffix(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 5);
  }

  String name() {
    return name;
  }

  String namespace() {
    return namespace;
  }

  String ip() {
    return ip;
  }

  /** The {@code app.kubernetes.io/component} label: {@code broadcaster} or {@code receiver}. */
  String component() {
    return template().getMetadata().getLabels().get("app.kubernetes.io/component");
  }

  Container container() {
    return spec().getContainers().get(0);
  }

  /** How long a stopping pod may take before it is killed; Kubernetes' default is 30 s. */
  long terminationGraceSeconds() {
    Long grace = spec().getTerminationGracePeriodSeconds();
    return grace == null ? 30 : grace;
  }

  /** The Pekko address this pod's node has once it joined: its IP and remoting port. */
  String pekkoAddress(String systemName) {
    return "pekko://" + systemName + "@" + ip + ":" + port(new IntOrString("remoting"));
  }

  /** The Pod object the API server holds for this pod once it runs: template labels, its IP. */
  Pod asRunningPod(String nodeName) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withUid(UUID.randomUUID().toString())
        .withLabels(template().getMetadata().getLabels())
        .withAnnotations(template().getMetadata().getAnnotations())
        .endMetadata()
        .withSpec(Serialization.clone(spec()).toBuilder().withNodeName(nodeName).build())
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewPodIP(ip)
        .withHostIP(MockKubernetesApi.HOST)
        .endStatus()
        .build();
  }

  /**
   * The {@code podman run} arguments that start this pod detached.
   *
   * @param containerName the container's name, unique per run
   * @param serviceAccount folder with {@code token}, {@code ca.crt} and {@code namespace}
   * @param serviceEnv what Kubernetes injects into every container, e.g. {@code
   *     KUBERNETES_SERVICE_HOST}
   * @param overrides environment values that replace the rendered ones, for what the host network
   *     cannot do as a pod network can; each one is a deviation from the chart
   */
  List<String> runArguments(
      String containerName,
      String runLabel,
      Path serviceAccount,
      Map<String, String> serviceEnv,
      Map<String, String> overrides) {
    Container container = container();
    List<String> args = new ArrayList<>(List.of("run", "--detach", "--name", containerName));
    args.addAll(List.of("--label", runLabel, "--pull", "never", "--network", "host"));
    // A pod has its own UTS namespace with the pod name as host name.
    args.addAll(List.of("--uts", "private", "--hostname", name));
    args.addAll(List.of("--stop-timeout", Long.toString(terminationGraceSeconds())));
    args.addAll(securityArguments(container));
    args.addAll(resourceArguments(container));
    args.addAll(volumeArguments(container, serviceAccount));
    Map<String, String> env = new LinkedHashMap<>(serviceEnv);
    env.putAll(environment(container));
    env.putAll(overrides);
    env.forEach((key, value) -> args.addAll(List.of("--env", key + "=" + value)));
    if (container.getWorkingDir() != null) {
      args.addAll(List.of("--workdir", container.getWorkingDir()));
    }
    if (!container.getCommand().isEmpty()) {
      args.addAll(List.of("--entrypoint", Serialization.asJson(container.getCommand())));
    }
    args.add(container.getImage());
    args.addAll(container.getArgs());
    return args;
  }

  /** Where an HTTP probe of this pod's container sends its GET. */
  URI probeUri(Probe probe) {
    if (probe.getHttpGet() == null) {
      throw unsupported("probes other than httpGet");
    }
    var get = probe.getHttpGet();
    String scheme = get.getScheme() == null ? "http" : get.getScheme().toLowerCase();
    String path = get.getPath() == null ? "/" : get.getPath();
    return URI.create(scheme + "://" + ip + ":" + port(get.getPort()) + path);
  }

  /** A container port by number or by name, as probes and Services refer to it. */
  int port(IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return container().getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no container port named " + port));
  }

  List<Integer> containerPorts() {
    return container().getPorts().stream().map(ContainerPort::getContainerPort).toList();
  }

  private List<String> securityArguments(Container container) {
    List<String> args = new ArrayList<>();
    PodSecurityContext pod =
        Optional.ofNullable(spec().getSecurityContext()).orElseGet(PodSecurityContext::new);
    SecurityContext own =
        Optional.ofNullable(container.getSecurityContext()).orElseGet(SecurityContext::new);
    Long user = first(own.getRunAsUser(), pod.getRunAsUser());
    Long group = first(own.getRunAsGroup(), pod.getRunAsGroup());
    if (user != null) {
      args.addAll(List.of("--user", user + (group == null ? "" : ":" + group)));
    }
    if (pod.getFsGroup() != null) {
      args.addAll(List.of("--group-add", pod.getFsGroup().toString()));
    }
    if (Boolean.TRUE.equals(own.getReadOnlyRootFilesystem())) {
      // Podman would otherwise mount writable tmpfs on /tmp, /run and /var/tmp, hiding whether
      // the pod's own volumes cover every path the JVM writes to.
      args.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
    }
    if (Boolean.FALSE.equals(own.getAllowPrivilegeEscalation())) {
      args.addAll(List.of("--security-opt", "no-new-privileges"));
    }
    if (Boolean.TRUE.equals(own.getPrivileged())) {
      throw unsupported("privileged containers");
    }
    Capabilities capabilities = own.getCapabilities();
    if (capabilities != null) {
      capabilities.getDrop().forEach(c -> args.addAll(List.of("--cap-drop", c)));
      capabilities.getAdd().forEach(c -> args.addAll(List.of("--cap-add", c)));
    }
    var seccomp =
        own.getSeccompProfile() != null ? own.getSeccompProfile() : pod.getSeccompProfile();
    if (seccomp != null && "Unconfined".equals(seccomp.getType())) {
      args.addAll(List.of("--security-opt", "seccomp=unconfined"));
    } else if (seccomp != null && !"RuntimeDefault".equals(seccomp.getType())) {
      throw unsupported("seccomp profile " + seccomp.getType());
    }
    return args;
  }

  /** Memory limit as a hard limit; CPU request as relative shares, as the kubelet sets them. */
  private static List<String> resourceArguments(Container container) {
    List<String> args = new ArrayList<>();
    if (container.getResources() == null) {
      return args;
    }
    Map<String, Quantity> limits = container.getResources().getLimits();
    Map<String, Quantity> requests = container.getResources().getRequests();
    if (limits != null && limits.containsKey("memory")) {
      long bytes = Quantity.getAmountInBytes(limits.get("memory")).longValueExact();
      args.addAll(List.of("--memory", Long.toString(bytes)));
    }
    if (limits != null && limits.containsKey("cpu")) {
      args.addAll(List.of("--cpus", Quantity.getAmountInBytes(limits.get("cpu")).toPlainString()));
    }
    if (requests != null && requests.containsKey("cpu")) {
      double cores = Quantity.getAmountInBytes(requests.get("cpu")).doubleValue();
      args.addAll(List.of("--cpu-shares", Long.toString(Math.max(2, Math.round(cores * 1024)))));
    }
    return args;
  }

  private List<String> volumeArguments(Container container, Path serviceAccount) {
    List<String> args = new ArrayList<>();
    for (VolumeMount mount : container.getVolumeMounts()) {
      Volume volume =
          spec().getVolumes().stream()
              .filter(v -> v.getName().equals(mount.getName()))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("no volume " + mount.getName()));
      if (volume.getEmptyDir() == null) {
        throw unsupported("volume " + volume.getName() + " of a kind other than emptyDir");
      }
      // A tmpfs stands in for the emptyDir: it needs no host folder and vanishes with the
      // container. Its size cap is the emptyDir's sizeLimit.
      String options = "rw,mode=1777";
      Quantity size = volume.getEmptyDir().getSizeLimit();
      if (size != null) {
        options += ",size=" + Quantity.getAmountInBytes(size).longValueExact();
      }
      args.addAll(List.of("--tmpfs", mount.getMountPath() + ":" + options));
    }
    if (!Boolean.FALSE.equals(spec().getAutomountServiceAccountToken())) {
      args.addAll(List.of("--volume", serviceAccount + ":" + SERVICE_ACCOUNT_PATH + ":ro"));
    }
    return args;
  }

  private Map<String, String> environment(Container container) {
    Map<String, String> env = new LinkedHashMap<>();
    if (!container.getEnvFrom().isEmpty()) {
      throw unsupported("envFrom");
    }
    for (EnvVar variable : container.getEnv()) {
      if (variable.getValueFrom() == null) {
        String value = Objects.requireNonNullElse(variable.getValue(), "");
        if (value.contains("$(")) {
          throw unsupported("$(VAR) references in env values");
        }
        env.put(variable.getName(), value);
      } else if (variable.getValueFrom().getFieldRef() != null) {
        env.put(variable.getName(), field(variable.getValueFrom().getFieldRef()));
      } else {
        throw unsupported("env " + variable.getName() + " from anything but a fieldRef");
      }
    }
    return env;
  }

  /** The downward API fields that need nothing but this pod's identity. */
  private String field(ObjectFieldSelector selector) {
    String path = selector.getFieldPath();
    return switch (path) {
      case "metadata.name" -> name;
      case "metadata.namespace" -> namespace;
      case "status.podIP" -> ip;
      case "status.hostIP" -> MockKubernetesApi.HOST;
      case "spec.serviceAccountName" -> spec().getServiceAccountName();
      default -> {
        String prefix = "metadata.labels['";
        if (path.startsWith(prefix) && path.endsWith("']")) {
          String key = path.substring(prefix.length(), path.length() - 2);
          yield template().getMetadata().getLabels().getOrDefault(key, "");
        }
        throw unsupported("downward API field " + path);
      }
    };
  }

  private PodTemplateSpec template() {
    return deployment.getSpec().getTemplate();
  }

  private PodSpec spec() {
    return template().getSpec();
  }

  private static <T> T first(T preferred, T fallback) {
    return preferred != null ? preferred : fallback;
  }

  private static String suffix(long seed, int length) {
    StringBuilder out = new StringBuilder();
    long rest = seed;
    for (int i = 0; i < length; i++) {
      out.append(NAME_ALPHABET.charAt((int) (rest % NAME_ALPHABET.length())));
      rest /= NAME_ALPHABET.length();
    }
    return out.toString();
  }

  private IllegalStateException unsupported(String what) {
    return new IllegalStateException(
        "the e2e harness does not run "
            + what
            + " (Deployment "
            + deployment.getMetadata().getName()
            + "); extend ChartPod or run it on a real cluster");
  }
}
