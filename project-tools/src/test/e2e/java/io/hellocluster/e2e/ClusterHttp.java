package io.hellocluster.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the harness asks the nodes over HTTP: the rendered probes, run as a kubelet would, and the
 * cluster state from Pekko Management's {@code /cluster/members}.
 */
final class ClusterHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * Probes until the probe passes, at its rendered period and timeout, starting after its initial
   * delay; a failure threshold counts only for startup probes (later probes have no budget here,
   * the kubelet would only keep the pod out of its Service).
   *
   * @param stillRunning throws when the container has exited, so a crash fails fast
   * @return how long the probe took to pass
   */
  Duration awaitProbe(ChartPod pod, Probe probe, Duration budget, Runnable stillRunning)
      throws InterruptedException {
    URI uri = pod.probeUri(probe);
    Duration period = Duration.ofSeconds(orDefault(probe.getPeriodSeconds(), 10));
    Duration timeout = Duration.ofSeconds(orDefault(probe.getTimeoutSeconds(), 1));
    long start = System.nanoTime();
    Thread.sleep(Duration.ofSeconds(orDefault(probe.getInitialDelaySeconds(), 0)).toMillis());
    String last = "no attempt";
    while (true) {
      stillRunning.run();
      long attempt = System.nanoTime();
      Optional<Integer> status = status(uri, timeout);
      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      if (status.isPresent() && status.get() >= 200 && status.get() < 400) {
        return waited;
      }
      last = status.map(s -> "HTTP " + s).orElse("no answer");
      if (waited.compareTo(budget) > 0) {
        throw new AssertionError(
            pod.name() + ": probe " + uri + " still failing after " + budget + " (" + last + ")");
      }
      long elapsed = System.nanoTime() - attempt;
      Thread.sleep(Math.max(0, period.minusNanos(elapsed).toMillis()));
    }
  }

  /** The status code of a GET, or empty when the node does not answer within the timeout. */
  Optional<Integer> status(URI uri, Duration timeout) throws InterruptedException {
    try {
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
      return Optional.of(http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The cluster as one node sees it. */
  Members members(ChartPod pod) throws IOException, InterruptedException {
    int port = pod.port(new IntOrString("management"));
    URI uri = URI.create("http://" + pod.ip() + ":" + port + "/cluster/members");
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(uri + " answered " + response.statusCode() + ": " + response.body());
    }
    return Members.parse(JSON.readTree(response.body()));
  }

  private static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }

  /** One member as {@code /cluster/members} lists it. */
  record Member(String node, String status, List<String> roles) {}

  /** The answer of {@code /cluster/members}. */
  record Members(
      String selfNode,
      String leader,
      Map<String, String> oldestPerRole,
      Map<String, Member> byNode,
      List<String> unreachable) {

    static Members parse(JsonNode json) {
      Map<String, Member> members = new LinkedHashMap<>();
      for (JsonNode m : json.path("members")) {
        List<String> roles = new ArrayList<>();
        m.path("roles").forEach(r -> roles.add(r.asText()));
        String node = m.path("node").asText();
        members.put(node, new Member(node, m.path("status").asText(), roles));
      }
      Map<String, String> oldest = new LinkedHashMap<>();
      json.path("oldestPerRole")
          .properties()
          .forEach(e -> oldest.put(e.getKey(), e.getValue().asText()));
      List<String> unreachable = new ArrayList<>();
      json.path("unreachable").forEach(u -> unreachable.add(u.path("node").asText()));
      return new Members(
          json.path("selfNode").asText(),
          json.path("leader").asText(),
          oldest,
          members,
          unreachable);
    }

    Optional<String> statusOf(String node) {
      return Optional.ofNullable(byNode.get(node)).map(Member::status);
    }
  }
}
