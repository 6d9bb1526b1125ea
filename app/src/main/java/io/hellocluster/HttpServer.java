package io.hellocluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;

/**
 * Binds the feed's routes and takes them down in coordinated shutdown, in the order that loses no
 * client: readiness fails first ({@link DrainingReadiness}), the node keeps serving for the drain
 * delay, then every client gets a "bye" and reconnects elsewhere, then the port unbinds.
 */
public final class HttpServer {
  /** Time open connections get to finish once the node shuts down, before they are cut. */
  private static final Duration HARD_TERMINATION_DEADLINE = Duration.ofSeconds(10);

  /** How long to wait for clients to read their "bye" before the port unbinds anyway. */
  private static final Duration BYE_GRACE = Duration.ofSeconds(2);

  private HttpServer() {}

  public static void start(ActorSystem<?> system, FeedRoutes routes, HelloSettings settings) {
    String host = settings.bindHostname();
    int port = settings.httpPort();
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "say-bye-to-clients",
        () -> sayBye(routes, settings.drainDelay()));
    Http.get(system)
        .newServerAt(host, port)
        .bind(routes.routes())
        .whenComplete(
            (binding, failure) -> {
              if (binding != null) {
                InetSocketAddress address = binding.localAddress();
                system
                    .log()
                    .info(
                        "Feed served at http://{}:{}/", address.getHostString(), address.getPort());
                binding.addToCoordinatedShutdown(HARD_TERMINATION_DEADLINE, system);
              } else {
                system.log().error("Cannot bind HTTP to {}:{}, stopping", host, port, failure);
                system.terminate();
              }
            });
  }

  private static CompletionStage<Done> sayBye(FeedRoutes routes, Duration drainDelay) {
    return after(drainDelay)
        .thenCompose(
            done -> {
              routes.closeAll("this receiver is shutting down; reconnect to another");
              return waitUntilAllGone(routes, System.nanoTime() + BYE_GRACE.toNanos());
            });
  }

  private static CompletionStage<Done> waitUntilAllGone(FeedRoutes routes, long deadline) {
    if (routes.connectionCount() == 0 || System.nanoTime() > deadline) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return after(Duration.ofMillis(50)).thenCompose(d -> waitUntilAllGone(routes, deadline));
  }

  private static CompletionStage<Done> after(Duration delay) {
    return CompletableFuture.supplyAsync(
        Done::getInstance,
        CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS));
  }
}
