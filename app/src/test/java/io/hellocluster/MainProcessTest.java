package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Starts the real entry point as a separate JVM, configured the way operators do: by env. */
class MainProcessTest {

  @Test
  void aDurationThatIsNotADurationStopsStartupWithOneLine() throws Exception {
    Result result = runMain(Map.of("HELLO_MIN_DELAY", "often"));
    assertEquals(2, result.exitCode());
    assertEquals(
        List.of(
            "hello-cluster: hello-cluster.broadcaster.min-delay (HELLO_MIN_DELAY) is 'often', not"
                + " a duration such as 1s"),
        result.stderrLines());
  }

  @Test
  void minAboveMaxStopsStartupWithOneLine() throws Exception {
    Result result = runMain(Map.of("HELLO_MIN_DELAY", "9s", "HELLO_MAX_DELAY", "2s"));
    assertEquals(2, result.exitCode());
    assertEquals(1, result.stderrLines().size(), result.stderrLines().toString());
    assertTrue(result.stderrLines().get(0).contains("set min-delay <= max-delay"));
  }

  @Test
  void aTakenPortStopsStartupWithOneLineNamingTheVariable() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Result result =
          runMain(
              Map.of(
                  "HELLO_HTTP_PORT", String.valueOf(taken.getLocalPort()),
                  "HELLO_REMOTING_PORT", String.valueOf(TestNodes.freePort()),
                  "HELLO_MANAGEMENT_PORT", String.valueOf(TestNodes.freePort())));
      assertEquals(2, result.exitCode());
      assertEquals(1, result.stderrLines().size(), result.stderrLines().toString());
      String line = result.stderrLines().get(0);
      assertTrue(
          line.startsWith("hello-cluster: cannot bind 127.0.0.1:" + taken.getLocalPort()), line);
      assertTrue(line.endsWith("set HELLO_HTTP_PORT to a free port"), line);
    }
  }

  @Test
  void anOutOfRangeOrSharedPortStopsStartupWithOneLine() throws Exception {
    Result outOfRange = runMain(Map.of("HELLO_REMOTING_PORT", "70000"));
    assertEquals(2, outOfRange.exitCode());
    assertEquals(List.of(), outOfRange.stderrLines().subList(1, outOfRange.stderrLines().size()));
    assertTrue(outOfRange.stderrLines().get(0).contains("(HELLO_REMOTING_PORT) is 70000"));
    String port = String.valueOf(TestNodes.freePort());
    Result shared = runMain(Map.of("HELLO_REMOTING_PORT", port, "HELLO_HTTP_PORT", port));
    assertEquals(2, shared.exitCode());
    assertEquals(1, shared.stderrLines().size(), shared.stderrLines().toString());
    assertTrue(shared.stderrLines().get(0).contains("are the same port"));
  }

  @Test
  void aNodeWhoseBootstrapCannotWorkShutsDownAfterTheJoinTimeout() throws Exception {
    // Outside a pod there is no service-account CA certificate for Kubernetes API discovery:
    // bootstrap fails as it starts, and the node must not linger alive but never ready.
    Result result =
        runMain(
            Map.of(
                "HELLO_DISCOVERY_METHOD", "kubernetes-api",
                "HELLO_JOIN_TIMEOUT", "5s",
                "HELLO_HTTP_PORT", String.valueOf(TestNodes.freePort()),
                "HELLO_REMOTING_PORT", String.valueOf(TestNodes.freePort()),
                "HELLO_MANAGEMENT_PORT", String.valueOf(TestNodes.freePort())));
    // runMain fails the test if the node is still running 60 s after its 5 s join timeout.
    assertTrue(result.exitCode() >= 0, "exited by itself with " + result.exitCode());
  }

  private record Result(int exitCode, List<String> stderrLines) {}

  private static Result runMain(Map<String, String> env) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder =
        new ProcessBuilder(
            java, "-cp", System.getProperty("java.class.path"), Main.class.getName());
    builder.environment().keySet().removeIf(k -> k.startsWith("HELLO_"));
    builder.environment().putAll(env);
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("node did not stop on its own within 60 s");
    }
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.exitValue(), stderr.lines().toList());
  }
}
