package dev.mercato.agent.connection;

import org.junit.jupiter.api.Test;

import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    /** Always draws the largest value allowed, to show the ceiling of each attempt. */
    private static final RandomGenerator HIGHEST = new RandomGenerator() {
        @Override
        public long nextLong() {
            return Long.MAX_VALUE;
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };

    @Test
    void doublesTheCeilingUpToTheCap() {
        long[] ceilings = new long[9];
        for (int attempt = 0; attempt < ceilings.length; attempt++) {
            ceilings[attempt] = Backoff.RECONNECT.delayMillis(attempt, HIGHEST);
        }

        assertEquals("[500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]", java.util.Arrays.toString(ceilings));
        assertEquals(30_000, Backoff.RECONNECT.delayMillis(200, HIGHEST));
    }

    @Test
    void drawsUniformlyBetweenZeroAndTheCeiling() {
        RandomGenerator random = java.util.random.RandomGeneratorFactory.of("L64X128MixRandom").create(42);
        long smallest = Long.MAX_VALUE;
        long largest = 0;
        for (int i = 0; i < 10_000; i++) {
            long delay = Backoff.RECONNECT.delayMillis(1, random);
            smallest = Math.min(smallest, delay);
            largest = Math.max(largest, delay);
        }

        assertTrue(smallest < 50 && largest > 950 && largest <= 1000, smallest + ".." + largest);
    }
}
