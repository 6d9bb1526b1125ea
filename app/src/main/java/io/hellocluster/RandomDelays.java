package io.hellocluster;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Draws each wait between greetings independently and uniformly from {@code [min, max]}, at
 * millisecond resolution. Inject a seeded generator to make a run repeatable.
 */
public final class RandomDelays {
  private final long minMillis;
  private final long maxMillis;
  private final RandomGenerator random;

  public RandomDelays(Duration min, Duration max, RandomGenerator random) {
    if (min.isNegative() || min.isZero() || min.compareTo(max) > 0) {
      throw new IllegalArgumentException("need 0 < min <= max, got " + min + " and " + max);
    }
    this.minMillis = min.toMillis();
    this.maxMillis = max.toMillis();
    this.random = random;
  }

  public Duration next() {
    return Duration.ofMillis(random.nextLong(minMillis, maxMillis + 1));
  }
}
