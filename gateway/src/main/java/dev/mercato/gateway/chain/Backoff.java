package dev.mercato.gateway.chain;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the n-th wait is uniform in [0, min(max, initial × 2ⁿ⁻¹)],
 * so scanners that failed together (one RPC provider's outage) do not retry in step.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final RandomGenerator random;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        if (initial.toMillis() < 1 || initial.compareTo(max) > 0) {
            throw new IllegalArgumentException("backoff needs 1 ms ≤ initial ≤ max, was " + initial + " and " + max);
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** How long to wait after the {@code failures}-th failure in a row (1 for the first). */
    public long delayMillis(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, was " + failures);
        }
        long ceilingMillis = initialMillis;
        // Stops doubling at the cap, so the loop is short however long the failures go on.
        for (int i = 1; i < failures && ceilingMillis < maxMillis; i++) {
            ceilingMillis = Math.min(maxMillis, ceilingMillis * 2);
        }
        return random.nextLong(ceilingMillis + 1);
    }

    public long maxMillis() {
        return maxMillis;
    }
}
