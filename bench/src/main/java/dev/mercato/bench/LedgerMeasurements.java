package dev.mercato.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** What the measured reserve + settle pairs of one ledger run did: latency histograms in microseconds and counters. */
final class LedgerMeasurements {

    private static final int SIGNIFICANT_DIGITS = 3;

    final Histogram reserve = new ConcurrentHistogram(Measurements.HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    final Histogram settle = new ConcurrentHistogram(Measurements.HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    final Histogram pair = new ConcurrentHistogram(Measurements.HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    final LongAdder settled = new LongAdder();
    final LongAdder reserveErrors = new LongAdder();
    final LongAdder settleErrors = new LongAdder();
    final LongAdder dropped = new LongAdder();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    /**
     * Records a pair that was due at {@code dueNanos}, whose reserve returned at {@code reservedNanos}
     * and whose settle, called right after, returned at {@code settledNanos}.
     */
    void recordSettled(long dueNanos, long reservedNanos, long settledNanos) {
        settled.increment();
        reserve.recordValue(micros(reservedNanos - dueNanos));
        settle.recordValue(micros(settledNanos - reservedNanos));
        pair.recordValue(micros(settledNanos - dueNanos));
    }

    void recordReserveError(RuntimeException error) {
        reserveErrors.increment();
        noteError("reserve: " + describe(error));
    }

    void recordSettleError(RuntimeException error) {
        settleErrors.increment();
        noteError("settle: " + describe(error));
    }

    void recordDropped() {
        dropped.increment();
        noteError("dropped: the in-flight limit was reached");
    }

    long errors() {
        return reserveErrors.sum() + settleErrors.sum() + dropped.sum();
    }

    /** The first error seen, to tell a broken run from a slow one; null when there was none. */
    String firstError() {
        return firstError.get();
    }

    private void noteError(String message) {
        firstError.compareAndSet(null, message);
    }

    private static String describe(RuntimeException error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    private static long micros(long nanos) {
        return Math.min(Measurements.HIGHEST_TRACKABLE_MICROS, Math.max(0, nanos / 1_000));
    }
}
