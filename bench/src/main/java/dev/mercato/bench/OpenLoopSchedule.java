package dev.mercato.bench;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
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

    /** One operation of an open-loop run; {@code measured} when it is due inside the measured window. */
    interface Operation {
        void run(long dueNanos, boolean measured);
    }

    /**
     * Dispatches operation i on {@code workers} at {@link #dueNanos}(i), whatever happened to the
     * earlier ones, until {@code measureEndNanos}. One that would exceed {@code maxInFlight}
     * outstanding operations is dropped, never queued ({@code onDroppedMeasured} counts it when it is
     * measured). {@code beforeMeasured} runs before each measured operation starts. Returns when the
     * last one is dispatched; waiting for them to finish is the caller's.
     */
    void dispatch(Executor workers, long measureStartNanos, long measureEndNanos, int maxInFlight,
                  Runnable beforeMeasured, Runnable onDroppedMeasured, Operation operation) {
        AtomicInteger inFlight = new AtomicInteger();
        for (long i = 0; ; i++) {
            long dueNanos = dueNanos(i);
            if (dueNanos >= measureEndNanos) {
                return;
            }
            sleepUntil(dueNanos);
            boolean measured = dueNanos >= measureStartNanos;
            if (measured) {
                beforeMeasured.run();
            }
            if (inFlight.incrementAndGet() > maxInFlight) {
                inFlight.decrementAndGet();
                if (measured) {
                    onDroppedMeasured.run();
                }
                continue;
            }
            workers.execute(() -> {
                try {
                    operation.run(dueNanos, measured);
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        }
    }
}
