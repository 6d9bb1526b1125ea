package io.hellocluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The {@code hello-cluster} block of the configuration, read and validated once at start. Every
 * problem is reported as a {@link ConfigError} naming the setting and its environment variable.
 */
public record HelloSettings(
    Set<String> roles,
    String nodeName,
    Duration minDelay,
    Duration maxDelay,
    String text,
    String hostname,
    String bindHostname,
    int httpPort,
    int clientBuffer,
    Duration keepAlive,
    Receiver.HistoryBounds history,
    int maxConnections,
    Set<String> allowedOrigins,
    Duration drainDelay,
    Duration joinTimeout) {

  public static final String BROADCASTER = "broadcaster";
  public static final String RECEIVER = "receiver";
  private static final Set<String> KNOWN_ROLES = Set.of(BROADCASTER, RECEIVER);
  private static final String NUMBER = "a whole number";
  private static final Pattern UNITLESS = Pattern.compile("[+-]?[0-9.]+");

  /** The longest delay Pekko's scheduler accepts (2^31 - 1 ticks of 10 ms), rounded down. */
  private static final Duration LONGEST = Duration.ofDays(248);

  /**
   * The drain delay must fit in pekko.coordinated-shutdown.phases.before-service-unbind.timeout (20
   * s) with room for the clients' goodbyes, or they never get their "bye".
   */
  private static final Duration LONGEST_DRAIN = Duration.ofSeconds(15);

  private static final Set<String> DISCOVERY_METHODS = Set.of("config", "kubernetes-api");

  /** Reads {@code hello-cluster.*} from a fully resolved configuration. */
  public static HelloSettings from(Config root) {
    Config c = root.getConfig("hello-cluster");
    Duration minDelay = duration(c, "broadcaster.min-delay", "HELLO_MIN_DELAY");
    Duration maxDelay = duration(c, "broadcaster.max-delay", "HELLO_MAX_DELAY");
    if (minDelay.compareTo(maxDelay) > 0) {
      throw new ConfigError(
          "hello-cluster.broadcaster.min-delay (HELLO_MIN_DELAY="
              + minDelay.toMillis()
              + "ms) is greater than max-delay (HELLO_MAX_DELAY="
              + maxDelay.toMillis()
              + "ms); set min-delay <= max-delay");
    }
    String hostname = c.getString("hostname");
    int remotingPort = root.getInt("pekko.remote.artery.canonical.port");
    String nodeName = c.getString("node-name");
    return new HelloSettings(
        roles(c.getString("roles")),
        nodeName.isBlank() ? hostname + ":" + remotingPort : nodeName,
        minDelay,
        maxDelay,
        c.getString("broadcaster.text"),
        hostname,
        c.getString("bind-hostname"),
        port(
            read(c, "http.port", "HELLO_HTTP_PORT", c::getInt, NUMBER),
            "http.port",
            "HELLO_HTTP_PORT"),
        positiveInt(c, "feed.client-buffer", "-"),
        duration(c, "feed.keep-alive", "-"),
        new Receiver.HistoryBounds(
            positiveInt(c, "feed.history-size", "HELLO_HISTORY_SIZE"),
            duration(c, "feed.history-age", "HELLO_HISTORY_AGE")),
        positiveInt(c, "feed.max-connections", "HELLO_MAX_CONNECTIONS"),
        Arrays.stream(c.getString("feed.allowed-origins").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(java.util.stream.Collectors.toUnmodifiableSet()),
        drainDelay(c),
        duration(c, "join-timeout", "HELLO_JOIN_TIMEOUT"));
  }

  public boolean isBroadcaster() {
    return roles.contains(BROADCASTER);
  }

  public boolean isReceiver() {
    return roles.contains(RECEIVER);
  }

  static Set<String> roles(String value) {
    Set<String> roles = new LinkedHashSet<>();
    for (String role : value.split(",")) {
      String trimmed = role.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (!KNOWN_ROLES.contains(trimmed)) {
        throw new ConfigError(
            "hello-cluster.roles (HELLO_ROLES) has unknown role '"
                + trimmed
                + "'; use broadcaster, receiver or both, comma-separated");
      }
      roles.add(trimmed);
    }
    if (roles.isEmpty()) {
      throw new ConfigError(
          "hello-cluster.roles (HELLO_ROLES) is empty; use broadcaster, receiver or both");
    }
    return Set.copyOf(roles);
  }

  /** Parses {@code host:port,host:port}; used for local mode's config discovery. */
  static List<HostPort> contactPoints(String value) {
    return Arrays.stream(value.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(HelloSettings::hostPort)
        .toList();
  }

  private static HostPort hostPort(String s) {
    int colon = s.lastIndexOf(':');
    String fix = "; write each contact point as host:port, e.g. 127.0.0.1:7626";
    if (colon <= 0 || colon == s.length() - 1) {
      throw new ConfigError(
          "hello-cluster.contact-points (HELLO_CONTACT_POINTS) entry '"
              + s
              + "' has no port"
              + fix);
    }
    try {
      int port = Integer.parseInt(s.substring(colon + 1));
      return new HostPort(
          s.substring(0, colon), port(port, "contact-points", "HELLO_CONTACT_POINTS"));
    } catch (NumberFormatException e) {
      throw new ConfigError(
          "hello-cluster.contact-points (HELLO_CONTACT_POINTS) entry '"
              + s
              + "' has a port that is not a number"
              + fix);
    }
  }

  static int port(int port, String key, String env) {
    if (port < 1 || port > 65535) {
      throw new ConfigError(key + " (" + env + ") is " + port + "; use a port between 1 and 65535");
    }
    return port;
  }

  private static Duration duration(Config c, String key, String env) {
    Duration d = readDuration(c, key, env);
    if (d.isNegative() || d.isZero()) {
      throw new ConfigError(
          describe(key, env) + " is " + c.getString(key) + "; use a positive duration such as 1s");
    }
    return d;
  }

  private static Duration nonNegativeDuration(Config c, String key, String env) {
    Duration d = readDuration(c, key, env);
    if (d.isNegative()) {
      throw new ConfigError(
          describe(key, env) + " is " + c.getString(key) + "; use zero or a positive duration");
    }
    return d;
  }

  /**
   * HOCON reads a bare number as milliseconds, so HELLO_MAX_DELAY=10 would mean 10 ms where a
   * person means 10 s: a unit is required.
   */
  private static Duration readDuration(Config c, String key, String env) {
    String raw = String.valueOf(c.getValue(key).unwrapped()).trim();
    if (UNITLESS.matcher(raw).matches()) {
      throw new ConfigError(
          describe(key, env) + " is '" + raw + "' without a unit; write e.g. " + raw + "s");
    }
    Duration d = read(c, key, env, c::getDuration, "a duration such as 1s");
    if (d.compareTo(LONGEST) > 0) {
      throw new ConfigError(
          describe(key, env) + " is " + raw + "; Pekko's timers reach at most 248 days");
    }
    return d;
  }

  private static Duration drainDelay(Config c) {
    Duration d = nonNegativeDuration(c, "shutdown.drain-delay", "HELLO_DRAIN_DELAY");
    if (d.compareTo(LONGEST_DRAIN) > 0) {
      throw new ConfigError(
          "hello-cluster.shutdown.drain-delay (HELLO_DRAIN_DELAY) is "
              + c.getString("shutdown.drain-delay")
              + "; use at most 15s, or raise"
              + " pekko.coordinated-shutdown.phases.before-service-unbind.timeout with it");
    }
    return d;
  }

  /** Checks the bootstrap settings that environment variables set, before Pekko reads them. */
  static void checkBootstrap(Config root) {
    String path = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    String method = root.getString(path + "discovery-method");
    if (!DISCOVERY_METHODS.contains(method)) {
      throw new ConfigError(
          "discovery method (HELLO_DISCOVERY_METHOD) is '"
              + method
              + "'; use config (local) or kubernetes-api (in pods)");
    }
    String key = path + "required-contact-point-nr";
    int required;
    try {
      required = root.getInt(key);
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      required = 0;
    }
    if (required < 1) {
      throw new ConfigError(
          "required contact points (HELLO_REQUIRED_CONTACT_POINTS) is '"
              + root.getValue(key).unwrapped()
              + "'; use a whole number above 0");
    }
  }

  private static int positiveInt(Config c, String key, String env) {
    int n = read(c, key, env, c::getInt, NUMBER);
    if (n < 1) {
      throw new ConfigError(describe(key, env) + " is " + n + "; use a whole number above 0");
    }
    return n;
  }

  private static <T> T read(
      Config c, String key, String env, Function<String, T> getter, String expected) {
    try {
      return getter.apply(key);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new ConfigError(
          describe(key, env) + " is '" + c.getValue(key).unwrapped() + "', not " + expected);
    }
  }

  private static String describe(String key, String env) {
    return "hello-cluster." + key + ("-".equals(env) ? "" : " (" + env + ")");
  }

  /** A management endpoint of a node, for config discovery. */
  public record HostPort(String host, int port) {}
}
