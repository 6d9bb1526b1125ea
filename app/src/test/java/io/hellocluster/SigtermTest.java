package io.hellocluster;

import static io.hellocluster.Greetings.ofType;
import static io.hellocluster.Greetings.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM on the real entry point, a separate JVM configured by environment as in a pod: readiness
 * fails first while the feed still flows for the drain delay, then every client is told "bye", then
 * the process exits, all in that order and within a bound.
 */
class SigtermTest {
  private static final Logger MEASURED = LoggerFactory.getLogger("io.hellocluster.measured");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration DRAIN_DELAY = Duration.ofSeconds(3);

  /**
   * From SIGTERM to exit: the drain delay, up to 2 s for clients to read their "bye" (HttpServer's
   * grace), leaving a one-node cluster and stopping the ActorSystem (well under 5 s), and 5 s for a
   * slow two-core machine.
   */
  private static final Duration EXIT_BOUND = DRAIN_DELAY.plusSeconds(2 + 5 + 5);

  private Process process;

  @AfterEach
  void killLeftovers() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  @Test
  void sigtermFailsReadinessThenSaysByeThenExits() throws Exception {
    int http = TestNodes.freePort();
    int management = TestNodes.freePort();
    Path log = Paths.get("target", "sigterm-test-node.log");
    process = startMain(http, management, log);
    URI ready = URI.create("http://127.0.0.1:" + management + "/ready");
    awaitReady(ready, log);

    try (FeedClient ws = FeedClient.webSocket("ws://127.0.0.1:" + http + "/feed");
        FeedClient sse = FeedClient.serverSentEvents("http://127.0.0.1:" + http + "/events")) {
      ws.next(2, WAIT);
      sse.next(2, WAIT);
      ReadinessWatch watch = ReadinessWatch.start(ready);

      Instant sigterm = Instant.now();
      process.destroy();
      Greetings.until(ws, WAIT.plus(DRAIN_DELAY), m -> type(m).equals("bye"));
      JsonNode wsBye = last(ws);
      Greetings.until(sse, WAIT, m -> type(m).equals("bye"));
      JsonNode sseBye = last(sse);
      int wsClose = ws.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertTrue(process.waitFor(EXIT_BOUND.toMillis(), TimeUnit.MILLISECONDS), tail(log));
      Instant exited = Instant.now();
      watch.stop();
      Instant notReady = watch.firstNotReady.getNow(null);
      assertNotNull(notReady, "readiness never failed before the port closed: " + watch.statuses);

      MEASURED.info(
          "SIGTERM: /ready {} after {} ms; bye after {} ms (WebSocket) and {} ms (SSE),"
              + " greetings during the drain: {} and {}; exit code {} after {} ms; WebSocket close"
              + " code {}",
          watch.firstNotReadyAnswer.status(),
          Duration.between(sigterm, notReady).toMillis(),
          Duration.between(sigterm, ws.arrivalOf(wsBye)).toMillis(),
          Duration.between(sigterm, sse.arrivalOf(sseBye)).toMillis(),
          greetingsBetween(ws, notReady, ws.arrivalOf(wsBye)),
          greetingsBetween(sse, notReady, sse.arrivalOf(sseBye)),
          process.exitValue(),
          Duration.between(sigterm, exited).toMillis(),
          wsClose);

      // Pekko Management answers a failed check with 500 (not 503), without naming the check;
      // only DrainingReadiness can fail this early, while the node is still an Up member.
      Answer notReadyAnswer = watch.firstNotReadyAnswer;
      assertEquals(500, notReadyAnswer.status(), notReadyAnswer.toString());
      assertTrue(notReadyAnswer.body().startsWith("Not Healthy"), notReadyAnswer.body());
      for (FeedClient client : List.of(ws, sse)) {
        JsonNode bye = last(client);
        assertEquals("bye", type(bye));
        Instant byeAt = client.arrivalOf(bye);
        assertTrue(notReady.isBefore(byeAt), "readiness fails before clients are told to go");
        assertTrue(
            greetingsBetween(client, notReady, byeAt) > 0, "the feed flows while readiness fails");
        assertTrue(
            Duration.between(sigterm, byeAt).compareTo(DRAIN_DELAY) >= 0,
            "clients are told to go only after the drain delay");
        assertTrue(byeAt.isBefore(exited));
      }
      assertEquals(1000L, sse.retryByType.get("bye"), "the SSE bye says when to reconnect");
      assertEquals(-1, sse.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      // Pekko HTTP closes a WebSocket whose stream completed with 1000; it cannot send 1001.
      assertEquals(1000, wsClose);
      assertTrue(Set.of(0, 143).contains(process.exitValue()), "exit " + process.exitValue());
    }
  }

  private static Process startMain(int http, int management, Path log) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    // The node logs as in production (not into the tests' capturing appender), to a file.
    String logback =
        Paths.get(URI.create(Main.class.getResource("/logback.xml").toString())).toString();
    ProcessBuilder builder =
        new ProcessBuilder(
            java,
            "-XX:TieredStopAtLevel=1",
            "-Dlogback.configurationFile=" + logback,
            // Bootstrap waits 5 s for more contact points by default; one node needs none.
            "-Dpekko.management.cluster.bootstrap.contact-point-discovery.stable-margin=1s",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName());
    builder.environment().keySet().removeIf(k -> k.startsWith("HELLO_"));
    builder
        .environment()
        .putAll(
            Map.of(
                "HELLO_HTTP_PORT",
                String.valueOf(http),
                "HELLO_MANAGEMENT_PORT",
                String.valueOf(management),
                "HELLO_REMOTING_PORT",
                String.valueOf(TestNodes.freePort()),
                "HELLO_MIN_DELAY",
                "100ms",
                "HELLO_MAX_DELAY",
                "300ms",
                "HELLO_DRAIN_DELAY",
                DRAIN_DELAY.toMillis() + "ms"));
    Files.createDirectories(log.getParent());
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    return builder.start();
  }

  private void awaitReady(URI ready, Path log) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(deadline) && process.isAlive()) {
      if (get(ready).status() == 200) {
        return;
      }
      TestNodes.sleep(Duration.ofMillis(200));
    }
    throw new AssertionError("the node never became ready:\n" + tail(log));
  }

  /** A response's status and body, or status -1 when nothing answered. */
  private record Answer(int status, String body) {}

  private static Answer get(URI uri) {
    try {
      HttpResponse<String> response =
          HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Answer(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(-1, "interrupted");
    }
  }

  private static long greetingsBetween(FeedClient client, Instant from, Instant to) {
    return ofType(client.arrivals.stream().map(a -> a.message()).toList(), "greeting").stream()
        .map(client::arrivalOf)
        .filter(at -> at.isAfter(from) && at.isBefore(to))
        .count();
  }

  private static JsonNode last(FeedClient client) {
    return client.arrivals.get(client.arrivals.size() - 1).message();
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Polls readiness in the background and remembers when, and how, it first failed. */
  private static final class ReadinessWatch {
    final CompletableFuture<Instant> firstNotReady = new CompletableFuture<>();
    final List<Integer> statuses = new CopyOnWriteArrayList<>();
    volatile Answer firstNotReadyAnswer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    static ReadinessWatch start(URI ready) {
      ReadinessWatch watch = new ReadinessWatch();
      watch.thread = new Thread(() -> watch.poll(ready), "readiness-watch");
      watch.thread.setDaemon(true);
      watch.thread.start();
      return watch;
    }

    private void poll(URI ready) {
      while (running.get()) {
        Answer answer = get(ready);
        statuses.add(answer.status());
        if (answer.status() != 200 && !firstNotReady.isDone()) {
          firstNotReadyAnswer = answer;
          firstNotReady.complete(Instant.now());
        }
        if (answer.status() == -1) {
          return;
        }
        TestNodes.sleep(Duration.ofMillis(50));
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(WAIT.toMillis());
    }
  }
}
