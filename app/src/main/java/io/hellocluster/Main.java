package io.hellocluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of a node. Reads the configuration (environment variables override it, see {@code
 * application.conf}), refuses to start with a one-line error when a setting is invalid or a port is
 * taken, and otherwise starts the node.
 */
public final class Main {
  private static final int EXIT_CONFIG = 2;

  private Main() {}

  public static void main(String[] args) {
    Config config;
    try {
      config = HelloNode.load(ConfigFactory.empty());
      checkPortsFree(config);
    } catch (ConfigError e) {
      System.err.println("hello-cluster: " + e.getMessage());
      System.exit(EXIT_CONFIG);
      return;
    } catch (ConfigException e) {
      System.err.println("hello-cluster: invalid configuration: " + e.getMessage());
      System.exit(EXIT_CONFIG);
      return;
    }
    try {
      HelloNode.start(config);
    } catch (RuntimeException e) {
      // Pekko may already run threads that would keep a half-started node alive.
      System.err.println("hello-cluster: cannot start: " + e.getMessage());
      System.exit(EXIT_CONFIG);
    }
  }

  /** Binding fails deep inside Pekko with a long trace; checking first gives one clear line. */
  static void checkPortsFree(Config config) {
    HelloSettings settings = HelloSettings.from(config);
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put(
        "HELLO_REMOTING_PORT",
        HelloSettings.port(
            config.getInt("pekko.remote.artery.canonical.port"),
            "pekko.remote.artery.canonical.port",
            "HELLO_REMOTING_PORT"));
    ports.put(
        "HELLO_MANAGEMENT_PORT",
        HelloSettings.port(
            config.getInt("pekko.management.http.port"),
            "pekko.management.http.port",
            "HELLO_MANAGEMENT_PORT"));
    if (settings.isReceiver()) {
      ports.put("HELLO_HTTP_PORT", settings.httpPort());
    }
    if (ports.values().stream().distinct().count() < ports.size()) {
      throw new ConfigError(
          "two of " + ports + " are the same port; give each of these settings its own port");
    }
    ports.forEach((env, port) -> checkPortFree(settings.bindHostname(), port, env));
  }

  private static void checkPortFree(String host, int port, String env) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new ConfigError(
          "cannot bind "
              + host
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "); stop what uses it or set "
              + env
              + " to a free port");
    }
  }
}
