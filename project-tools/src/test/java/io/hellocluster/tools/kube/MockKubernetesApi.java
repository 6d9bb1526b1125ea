package io.hellocluster.tools.kube;

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
 * A Kubernetes API server stand-in over HTTPS: fabric8's mock in CRUD mode, holding the Pod objects
 * that the nodes' Kubernetes API discovery lists. It checks no token and enforces no RBAC; its
 * self-signed certificate covers {@code localhost} and {@code 127.0.0.1} only.
 */
public final class MockKubernetesApi implements AutoCloseable {
  public static final String HOST = "127.0.0.1";

  private final KubernetesMockServer server;
  private final NamespacedKubernetesClient client;

  private MockKubernetesApi(KubernetesMockServer server) {
    this.server = server;
    this.client = server.createClient();
  }

  /** Starts on {@link #HOST} at a free port. */
  public static MockKubernetesApi start() {
    return start(HOST, 0);
  }

  /** Starts on {@code host} at {@code port}, or at a free port if it is 0. */
  public static MockKubernetesApi start(String host, int port) {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new JsonContentType(new KubernetesCrudDispatcher()),
            true);
    try {
      server.init(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve " + host, e);
    }
    return new MockKubernetesApi(server);
  }

  public int port() {
    return server.getPort();
  }

  /** The server certificate as PEM, which the nodes trust as their service account's CA. */
  public Path certificate() {
    return Path.of(server.getSelfSignedCertificate().certificatePath());
  }

  /** A client of this server, for the objects it holds. */
  public NamespacedKubernetesClient client() {
    return client;
  }

  /** The request the server answered last. */
  public RecordedRequest lastRequest() throws InterruptedException {
    return server.getLastRequest();
  }

  public Pod createPod(Pod pod) {
    return client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
  }

  /** Like a deletion without a grace period: the pod is gone from every later listing at once. */
  public void deletePod(String namespace, String name) {
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
