package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.apache.commons.math3.distribution.UniformRealDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.Test;

class RandomDelaysTest {
  private static final Duration MIN = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(10);
  private static final int DRAWS = 10_000;
  private static final long SEED = 20261203L;

  @Test
  void everyDrawLiesWithinTheBoundsAndReachesBothEnds() {
    double[] draws = draw(DRAWS);
    double lowest = Double.MAX_VALUE;
    double highest = 0;
    for (double d : draws) {
      assertTrue(d >= 1000 && d <= 10_000, "draw out of [1 s, 10 s]: " + d + " ms");
      lowest = Math.min(lowest, d);
      highest = Math.max(highest, d);
    }
    // With 10,000 uniform draws the extremes lie within ~5 ms of the bounds almost surely.
    assertTrue(lowest < 1010, "lowest draw " + lowest);
    assertTrue(highest > 9990, "highest draw " + highest);
  }

  /**
   * Pearson's chi-squared over 18 bins of 500 ms: the statistic must stay below the 99.9th
   * percentile of the chi-squared distribution with 17 degrees of freedom (40.79), so a correct
   * generator fails this check once in a thousand seeds, and this seed is fixed.
   */
  @Test
  void drawsFitTheUniformDistributionByChiSquared() {
    int bins = 18;
    long[] observed = new long[bins];
    for (double d : draw(DRAWS)) {
      int bin = (int) Math.min(bins - 1, (d - 1000) / 500);
      observed[bin]++;
    }
    double expected = (double) DRAWS / bins;
    double statistic = 0;
    for (long o : observed) {
      statistic += (o - expected) * (o - expected) / expected;
    }
    double critical = new ChiSquaredDistribution(bins - 1).inverseCumulativeProbability(0.999);
    assertTrue(statistic < critical, "chi-squared " + statistic + " >= critical " + critical);
  }

  /** Kolmogorov-Smirnov against U(1000, 10001) ms: the p-value must exceed 0.001. */
  @Test
  void drawsFitTheUniformDistributionByKolmogorovSmirnov() {
    double p =
        new KolmogorovSmirnovTest()
            .kolmogorovSmirnovTest(new UniformRealDistribution(1000, 10_001), draw(DRAWS));
    assertTrue(p > 0.001, "KS p-value " + p);
  }

  @Test
  void detectsABiasedGenerator() {
    // The checks above must be able to fail: squaring a uniform draw skews it towards MIN.
    SplittableRandom random = new SplittableRandom(SEED);
    double[] skewed = new double[DRAWS];
    for (int i = 0; i < DRAWS; i++) {
      double u = random.nextDouble();
      skewed[i] = 1000 + u * u * 9000;
    }
    double p =
        new KolmogorovSmirnovTest()
            .kolmogorovSmirnovTest(new UniformRealDistribution(1000, 10_001), skewed);
    assertTrue(p < 0.001, "a skewed sample passed with p " + p);
  }

  @Test
  void refusesBoundsThatAreNotOrderedAndPositive() {
    SplittableRandom random = new SplittableRandom(SEED);
    assertThrows(IllegalArgumentException.class, () -> new RandomDelays(MAX, MIN, random));
    assertThrows(
        IllegalArgumentException.class, () -> new RandomDelays(Duration.ZERO, MAX, random));
  }

  private static double[] draw(int n) {
    RandomDelays delays = new RandomDelays(MIN, MAX, new SplittableRandom(SEED));
    double[] draws = new double[n];
    for (int i = 0; i < n; i++) {
      draws[i] = delays.next().toMillis();
    }
    return draws;
  }
}
