package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idle feeds stay open: with no greeting for a long time, WebSocket pings and SSE heartbeats keep
 * each connection busier than the server's idle timeout, which closes any connection that is really
 * idle. Timeouts are shortened here (3 s instead of 60 s) so that several pass in seconds.
 */
@ExtendWith(LogCapturingExtension.class)
class KeepAliveTest {
  private static final Logger MEASURED = LoggerFactory.getLogger("io.hellocluster.measured");
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(1);

  /** How many idle timeouts the feeds must outlive. */
  private static final int TIMEOUTS = 3;

  private static TestNodes cluster;

  @BeforeAll
  static void startNode() {
    String timeouts =
        String.join(
            "\n",
            "pekko.http.server.idle-timeout = " + IDLE_TIMEOUT.toMillis() + "ms",
            "pekko.http.server.websocket.periodic-keep-alive-max-idle = "
                + KEEP_ALIVE.toMillis()
                + "ms",
            "hello-cluster.feed.keep-alive = " + KEEP_ALIVE.toMillis() + "ms");
    // No greeting comes while the test runs: the feeds carry nothing but their keep-alives.
    cluster =
        TestNodes.start("1h", "1h", new TestNodes.Spec("node-1", "broadcaster,receiver", timeouts));
  }

  @AfterAll
  static void stopNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theKeepAliveKeysAreTheOnesThatPekkoAndTheFeedRead() {
    TestNodes.Node node = cluster.node("node-1");
    ServerSettings server = ServerSettings.create(node.system().classicSystem());
    assertEquals(IDLE_TIMEOUT.toMillis(), server.getTimeouts().idleTimeout().toMillis());
    assertEquals(KEEP_ALIVE, server.getWebsocketSettings().getPeriodicKeepAliveMaxIdle());
    HelloSettings feed = HelloSettings.from(node.system().settings().config());
    assertEquals(KEEP_ALIVE, feed.keepAlive());
  }

  @Test
  void idleFeedsOutliveSeveralIdleTimeoutsOnPingsAndHeartbeats() throws Exception {
    TestNodes.Node node = cluster.node("node-1");
    try (Socket silent = new Socket();
        FeedClient ws = FeedClient.webSocket("ws://127.0.0.1:" + node.httpPort() + "/feed");
        FeedClient sse = FeedClient.serverSentEvents(node.httpBase() + "/events")) {
      // A connection that says nothing at all shows that the idle timeout is really in force.
      silent.connect(new InetSocketAddress("127.0.0.1", node.httpPort()), 5000);
      Instant opened = Instant.now();
      Duration silentLasted = lifetimeOf(silent, IDLE_TIMEOUT.multipliedBy(TIMEOUTS + 2));

      long enough = IDLE_TIMEOUT.multipliedBy(TIMEOUTS).dividedBy(KEEP_ALIVE) + 1;
      awaitCondition(() -> ws.pings.get() >= enough && sse.heartbeats.get() >= enough);
      Duration open = Duration.between(opened, Instant.now());
      MEASURED.info(
          "Idle timeout {} ms: a silent connection was closed after {} ms; the feeds lived {} ms"
              + " on {} WebSocket pings and {} SSE heartbeats",
          IDLE_TIMEOUT.toMillis(),
          silentLasted.toMillis(),
          open.toMillis(),
          ws.pings.get(),
          sse.heartbeats.get());

      assertTrue(
          silentLasted.compareTo(IDLE_TIMEOUT.multipliedBy(TIMEOUTS)) < 0, "" + silentLasted);
      assertTrue(open.compareTo(IDLE_TIMEOUT.multipliedBy(TIMEOUTS)) > 0, "" + open);
      assertFalse(ws.closed.isDone(), "the WebSocket feed was closed");
      assertFalse(sse.closed.isDone(), "the SSE feed was closed");
      assertTrue(ws.messages.isEmpty() && sse.messages.isEmpty(), "a greeting flowed after all");
    }
  }

  /** How long the server kept a socket open that never sent anything, up to {@code limit}. */
  private static Duration lifetimeOf(Socket socket, Duration limit) throws Exception {
    Instant start = Instant.now();
    socket.setSoTimeout((int) limit.toMillis());
    InputStream in = socket.getInputStream();
    try {
      while (in.read() >= 0) {
        // The server has nothing to say before it closes; drain whatever it might send.
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept a silent connection open for " + limit, e);
    } catch (SocketException reset) {
      // A reset ends the connection as surely as a FIN does.
    }
    return Duration.between(start, Instant.now());
  }

  private static void awaitCondition(BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(IDLE_TIMEOUT.multipliedBy(TIMEOUTS * 3L));
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("keep-alives did not come in time");
      }
      TestNodes.sleep(Duration.ofMillis(100));
    }
  }
}
