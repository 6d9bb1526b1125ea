package io.hellocluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;

/**
 * A readiness check that fails as soon as the node starts shutting down, before anything else
 * stops, so Kubernetes takes the pod out of its Service while it can still serve. Registered in
 * {@code pekko.management.health-checks.readiness-checks}.
 */
public final class DrainingReadiness implements Supplier<CompletionStage<Boolean>> {
  private final CoordinatedShutdown shutdown;

  public DrainingReadiness(ActorSystem system) {
    this.shutdown = CoordinatedShutdown.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(shutdown.getShutdownReason().isEmpty());
  }
}
