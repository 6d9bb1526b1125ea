package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HelloSettingsTest {

  @Test
  void defaultsAreTheExercisesBounds() {
    HelloSettings settings = HelloSettings.from(HelloNode.load(ConfigFactory.empty()));
    assertEquals(Duration.ofSeconds(1), settings.minDelay());
    assertEquals(Duration.ofSeconds(10), settings.maxDelay());
    assertEquals("Hello world", settings.text());
    assertEquals(Set.of("broadcaster", "receiver"), settings.roles());
    assertEquals("127.0.0.1:7355", settings.nodeName());
    assertEquals(8080, settings.httpPort());
  }

  @Test
  void rolesAndContactPointsBecomePekkoSettings() {
    Config config =
        HelloNode.load(
            ConfigFactory.parseString(
                "hello-cluster.roles = \" receiver \"\n"
                    + "hello-cluster.contact-points = \"10.0.0.1:7626, 10.0.0.2:7627\""));
    assertEquals(List.of("receiver"), config.getStringList("pekko.cluster.roles"));
    assertEquals(
        HelloSettings.from(config).maxConnections() + HelloNode.PAGE_CONNECTIONS,
        config.getInt("pekko.http.server.max-connections"),
        "Pekko HTTP's own connection limit stays above the feed's cap");
    List<? extends Config> endpoints =
        config.getConfigList("pekko.discovery.config.services.hello-cluster.endpoints");
    assertEquals(2, endpoints.size());
    assertEquals("10.0.0.2", endpoints.get(1).getString("host"));
    assertEquals(7627, endpoints.get(1).getInt("port"));
  }

  @Test
  void invalidBootstrapSettingsAreRefusedWithOneLineNamingTheVariable() {
    String path = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    ConfigError method =
        assertThrows(
            ConfigError.class,
            () -> HelloNode.load(ConfigFactory.parseString(path + "discovery-method = bogus")));
    assertTrue(method.getMessage().contains("(HELLO_DISCOVERY_METHOD) is 'bogus'"));
    ConfigError required =
        assertThrows(
            ConfigError.class,
            () ->
                HelloNode.load(
                    ConfigFactory.parseString(path + "required-contact-point-nr = \"abc\"")));
    assertTrue(required.getMessage().contains("(HELLO_REQUIRED_CONTACT_POINTS) is 'abc'"));
    // Environment variables arrive as strings, as the chart renders this one.
    Config fromEnv =
        HelloNode.load(ConfigFactory.parseString(path + "required-contact-point-nr = \"4\""));
    assertEquals(4, fromEnv.getInt(path + "required-contact-point-nr"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "broadcaster.min-delay | 20s | min-delay (HELLO_MIN_DELAY=20000ms) is greater than max-delay",
        "broadcaster.min-delay | 0s | hello-cluster.broadcaster.min-delay (HELLO_MIN_DELAY) is 0s",
        "broadcaster.max-delay | -5s | hello-cluster.broadcaster.max-delay (HELLO_MAX_DELAY) is -5s",
        "broadcaster.max-delay | 10 | hello-cluster.broadcaster.max-delay (HELLO_MAX_DELAY) is '10' without a unit; write e.g. 10s",
        "shutdown.drain-delay | 5 | hello-cluster.shutdown.drain-delay (HELLO_DRAIN_DELAY) is '5' without a unit",
        "broadcaster.max-delay | 300d | max-delay (HELLO_MAX_DELAY) is 300d; Pekko's timers reach at most 248 days",
        "shutdown.drain-delay | 30s | drain-delay (HELLO_DRAIN_DELAY) is 30s; use at most 15s",
        "broadcaster.max-delay | soon | hello-cluster.broadcaster.max-delay (HELLO_MAX_DELAY) is 'soon', not a duration",
        "roles | janitor | hello-cluster.roles (HELLO_ROLES) has unknown role 'janitor'",
        "roles | ' , ' | hello-cluster.roles (HELLO_ROLES) is empty",
        "http.port | 70000 | http.port (HELLO_HTTP_PORT) is 70000",
        "http.port | eighty | hello-cluster.http.port (HELLO_HTTP_PORT) is 'eighty', not a whole number",
        "contact-points | 127.0.0.1 | entry '127.0.0.1' has no port",
        "contact-points | 127.0.0.1:x | entry '127.0.0.1:x' has a port that is not a number",
      })
  void invalidSettingsAreRefusedWithOneLineNamingTheSetting(
      String key, String value, String message) {
    Config overrides = ConfigFactory.parseString("hello-cluster." + key + " = \"" + value + "\"");
    ConfigError error = assertThrows(ConfigError.class, () -> HelloNode.load(overrides));
    assertTrue(error.getMessage().contains(message), error.getMessage());
    assertFalse(error.getMessage().contains("\n"), "not one line: " + error.getMessage());
  }
}
