package io.hellocluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Starts one cluster node: the ActorSystem, Pekko Management (health, cluster HTTP) and cluster
 * bootstrap, in the order bootstrap needs. Used by {@link Main} and by the tests alike.
 */
public final class HelloNode {
  public static final String SYSTEM_NAME = "hello-cluster";

  /**
   * Connections beyond the feed's cap for the page, its assets and clients' idle keep-alive
   * connections: Pekko HTTP's own default limit, so that a small feed cap never starves them.
   */
  static final int PAGE_CONNECTIONS = 1024;

  private HelloNode() {}

  /**
   * Loads the node's configuration: {@code overrides} over {@code application.conf} (whose {@code
   * HELLO_*} environment variables are resolved here) over every library's defaults.
   */
  public static Config load(Config overrides) {
    return resolve(ConfigFactory.load(overrides.withFallback(ConfigFactory.defaultApplication())));
  }

  /**
   * Completes a loaded configuration with what HOCON cannot say from environment variables: the
   * cluster roles and, for config discovery, the list of contact points.
   */
  static Config resolve(Config loaded) {
    HelloSettings settings = HelloSettings.from(loaded);
    HelloSettings.checkBootstrap(loaded);
    Config overlay =
        ConfigFactory.empty()
            .withValue(
                "pekko.cluster.roles",
                ConfigValueFactory.fromIterable(List.copyOf(settings.roles())))
            // Pekko HTTP accepts only 1024 connections by default, below the feed's own cap; the
            // headroom serves the page and its assets when the feed is full.
            .withValue(
                "pekko.http.server.max-connections",
                ConfigValueFactory.fromAnyRef(settings.maxConnections() + PAGE_CONNECTIONS));
    String bootstrap = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    if ("config".equals(loaded.getString(bootstrap + "discovery-method"))) {
      List<HelloSettings.HostPort> points =
          HelloSettings.contactPoints(loaded.getString("hello-cluster.contact-points"));
      if (points.isEmpty()) {
        points =
            List.of(
                new HelloSettings.HostPort(
                    settings.hostname(), loaded.getInt("pekko.management.http.port")));
      }
      List<Map<String, Object>> endpoints =
          points.stream()
              .map(p -> Map.<String, Object>of("host", p.host(), "port", p.port()))
              .toList();
      String service = loaded.getString(bootstrap + "service-name");
      overlay =
          overlay.withValue(
              "pekko.discovery.config.services.\"" + service + "\".endpoints",
              ConfigValueFactory.fromIterable(endpoints));
    }
    return overlay.withFallback(loaded);
  }

  /** Starts a node from a configuration that {@link #load} has completed. */
  public static ActorSystem<Void> start(Config config) {
    HelloSettings settings = HelloSettings.from(config);
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings), SYSTEM_NAME, config);
    // Armed first: a bootstrap that fails as it starts must still end in a shutdown.
    leaveUnlessJoinedWithin(system, settings.joinTimeout());
    PekkoManagement.get(system).start();
    ClusterBootstrap.get(system).start();
    return system;
  }

  /** Why a node stops itself: it never became a cluster member. */
  public enum JoinTimeout implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  private static void leaveUnlessJoinedWithin(ActorSystem<?> system, Duration timeout) {
    AtomicBoolean joined = new AtomicBoolean();
    Cluster.get(system).registerOnMemberUp(() -> joined.set(true));
    system
        .scheduler()
        .scheduleOnce(
            timeout,
            () -> {
              if (!joined.get()) {
                system.log().error("Not a cluster member after {}, shutting down", timeout);
                CoordinatedShutdown.get(system).runAll(JoinTimeout.INSTANCE);
              }
            },
            system.executionContext());
  }
}
