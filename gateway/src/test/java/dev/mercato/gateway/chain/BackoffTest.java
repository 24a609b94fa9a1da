package dev.mercato.gateway.chain;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    @Test
    void waitsAreJitteredUnderACeilingThatDoublesUpToTheCap() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2), new Random(7));
        long[] ceilings = {100, 200, 400, 800, 1600, 2000, 2000};
        for (int failures = 1; failures <= ceilings.length; failures++) {
            long highest = 0;
            for (int i = 0; i < 2_000; i++) {
                long delay = backoff.delayMillis(failures);
                assertTrue(delay >= 0 && delay <= ceilings[failures - 1], failures + " failures waited " + delay);
                highest = Math.max(highest, delay);
            }
            assertTrue(highest > ceilings[failures - 1] * 9 / 10, "the whole range is used: " + highest);
        }
        assertTrue(backoff.delayMillis(Integer.MAX_VALUE) <= 2_000);
        assertEquals(2_000, backoff.maxMillis());
    }
}
