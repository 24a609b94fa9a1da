package dev.mercato.bench;

import java.util.concurrent.locks.LockSupport;

/**
 * When each operation of an open-loop run is due: operation i at start + i / rate, whatever happened
 * to the earlier ones, so its latency is counted from then and a stall shows in everything behind it.
 */
record OpenLoopSchedule(long startNanos, double ratePerSecond) {

    private static final double NANOS_PER_SECOND = 1_000_000_000.0;

    OpenLoopSchedule {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("an open-loop rate must be a positive number, was " + ratePerSecond);
        }
    }

    /** The System.nanoTime() at which operation {@code index} (from 0) is due. */
    long dueNanos(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("operation index must not be negative, was " + index);
        }
        return startNanos + Math.round(index * (NANOS_PER_SECOND / ratePerSecond));
    }

    /** Parks the calling thread until System.nanoTime() reaches {@code nanoTime}. */
    static void sleepUntil(long nanoTime) {
        long remaining;
        while ((remaining = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(remaining);
        }
    }
}
