package dev.mercato.agent.connection;

import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: attempt {@code n} waits a uniformly random time
 * between 0 and {@code min(cap, base × 2^n)}, so agents that lost the same gateway at the same
 * moment do not all come back at the same moment.
 */
public record Backoff(long baseMillis, long capMillis) {

    public static final Backoff RECONNECT = new Backoff(500, 30_000);

    public Backoff {
        if (baseMillis < 1 || capMillis < baseMillis) {
            throw new IllegalArgumentException("need 1 <= baseMillis <= capMillis, was " + baseMillis + " and "
                + capMillis);
        }
    }

    /** The wait before retry number {@code attempt} (0 for the first retry). */
    public long delayMillis(int attempt, RandomGenerator random) {
        long ceilingMillis = attempt < Long.SIZE - 1 && baseMillis <= (capMillis >> attempt)
            ? baseMillis << attempt
            : capMillis;
        return random.nextLong(ceilingMillis + 1);
    }
}
