package io.hellocluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the feed's routes and unbinds them again in coordinated shutdown. */
public final class HttpServer {
  /** Time open connections get to finish once the node shuts down, before they are cut. */
  private static final Duration HARD_TERMINATION_DEADLINE = Duration.ofSeconds(10);

  private HttpServer() {}

  public static void start(ActorSystem<?> system, Route routes, String host, int port) {
    Http.get(system)
        .newServerAt(host, port)
        .bind(routes)
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
}
