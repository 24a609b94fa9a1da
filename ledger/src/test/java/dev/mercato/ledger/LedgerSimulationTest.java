package dev.mercato.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

/**
 * The seeded random driver: {@code -Dledger.seed=S} picks the seed (decimal or 0x-hex) and
 * {@code -Dledger.steps=N} the length. A failure names the seed and the step, and the same seed
 * on a fresh database replays the same steps.
 */
class LedgerSimulationTest {

    static final long DEFAULT_SEED = 20261122L;

    /** Sized so the default run takes well under 30 seconds on a shared two-core machine. */
    static final int DEFAULT_STEPS = 1_000;

    @Test
    void everyInvariantHoldsAndEveryBalanceMatchesTheModelAfterEveryStep() {
        long seed = Long.decode(System.getProperty("ledger.seed", Long.toString(DEFAULT_SEED)));
        int steps = Integer.decode(System.getProperty("ledger.steps", Integer.toString(DEFAULT_STEPS)));
        long startedNanos = System.nanoTime();
        try (HikariDataSource database = TestDatabase.fresh(LedgerSimulation.MAX_CONCURRENT_DELIVERIES + 2)) {
            LedgerSimulation simulation;
            try {
                simulation = new LedgerSimulation(seed, database);
            } catch (RuntimeException | AssertionError failure) {
                throw new AssertionError("ledger simulation with seed " + seed + " failed while setting up: " + failure
                    + "; replay with -Dledger.seed=" + seed, failure);
            }
            for (int step = 1; step <= steps; step++) {
                try {
                    simulation.step();
                } catch (Exception | AssertionError failure) {
                    throw new AssertionError("ledger simulation with seed " + seed + " failed at step " + step + " of "
                        + steps + " (" + simulation.currentStep() + "): " + failure + "; replay with -Dledger.seed="
                        + seed + " -Dledger.steps=" + step, failure);
                }
            }
            System.out.printf("ledger simulation: seed %d, %d steps in %d ms%n", seed, steps,
                (System.nanoTime() - startedNanos) / 1_000_000);
            simulation.tally().forEach((what, times) -> System.out.printf("  %6d  %s%n", times, what));
        }
    }
}
