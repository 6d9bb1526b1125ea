package io.hellocluster.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * A Kubernetes API server stand-in on 127.0.0.1 over HTTPS: fabric8's mock in CRUD mode, holding
 * the Pod objects that the nodes' Kubernetes API discovery lists. It checks no token and enforces
 * no RBAC; its self-signed certificate covers {@code localhost} and {@code 127.0.0.1} only.
 */
final class MockKubernetesApi implements AutoCloseable {
  static final String HOST = "127.0.0.1";

  private final KubernetesMockServer server;
  private final NamespacedKubernetesClient client;

  private MockKubernetesApi(KubernetesMockServer server) {
    this.server = server;
    this.client = server.createClient();
  }

  static MockKubernetesApi start() {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new JsonContentType(new KubernetesCrudDispatcher()),
            true);
    try {
      server.init(InetAddress.getByName(HOST), 0);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
    return new MockKubernetesApi(server);
  }

  int port() {
    return server.getPort();
  }

  /** The server certificate as PEM, which the nodes trust as their service account's CA. */
  Path certificate() {
    return Path.of(server.getSelfSignedCertificate().certificatePath());
  }

  void createPod(Pod pod) {
    client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
  }

  /** Like a deletion without a grace period: the pod is gone from every later listing at once. */
  void deletePod(String namespace, String name) {
    client.pods().inNamespace(namespace).withName(name).delete();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  /**
   * Kubernetes API discovery refuses responses without {@code Content-Type: application/json},
   * which the CRUD dispatcher never sets.
   */
  private static final class JsonContentType extends Dispatcher {
    private final Dispatcher delegate;

    JsonContentType(Dispatcher delegate) {
      this.delegate = delegate;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      MockResponse response = delegate.dispatch(request);
      if (response.header("Content-Type") == null) {
        response.setHeader("Content-Type", "application/json");
      }
      return response;
    }

    @Override
    public void shutdown() {
      delegate.shutdown();
    }

    @Override
    public void releaseResources() {
      delegate.releaseResources();
    }
  }
}
