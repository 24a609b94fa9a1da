package dev.mercato.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** What the measured requests of one run did: latency histograms in microseconds and outcome counters. */
final class Measurements {

    /** Latencies above this are recorded as this; the request timeout is always lower. */
    static final long HIGHEST_TRACKABLE_MICROS = TimeUnit.MINUTES.toMicros(10);
    private static final int SIGNIFICANT_DIGITS = 3;

    final Histogram latency = new ConcurrentHistogram(HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    final Histogram firstByte = new ConcurrentHistogram(HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    final Histogram firstEvent = new ConcurrentHistogram(HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
    final LongAdder ok = new LongAdder();
    final LongAdder statusErrors = new LongAdder();
    final LongAdder protocolErrors = new LongAdder();
    final LongAdder ioErrors = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder staleRetries = new LongAdder();
    final LongAdder bodyBytes = new LongAdder();
    final LongAdder events = new LongAdder();
    final LongAdder eventReads = new LongAdder();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    /**
     * Records a 2xx response to a request that was due at {@code startNanos}. When {@code expectEvents}
     * is set, a body without a single server-sent event is an error.
     */
    void recordResponse(long startNanos, HttpConnection.Exchange exchange, boolean expectEvents) {
        if (exchange.status() / 100 != 2) {
            statusErrors.increment();
            noteError("HTTP " + exchange.status());
            return;
        }
        if (expectEvents && exchange.events() == 0) {
            protocolErrors.increment();
            noteError("a streaming response carried no server-sent event (" + exchange.bodyBytes() + " body bytes)");
            return;
        }
        ok.increment();
        latency.recordValue(micros(exchange.endNanos() - startNanos));
        if (exchange.bodyBytes() > 0) {
            firstByte.recordValue(micros(exchange.firstByteNanos() - startNanos));
        }
        if (exchange.events() > 0) {
            firstEvent.recordValue(micros(exchange.firstEventNanos() - startNanos));
        }
        bodyBytes.add(exchange.bodyBytes());
        events.add(exchange.events());
        eventReads.add(exchange.eventReads());
    }

    void recordTimeout(String message) {
        timeouts.increment();
        noteError("timeout: " + message);
    }

    void recordIoError(String message) {
        ioErrors.increment();
        noteError(message);
    }

    void recordDropped() {
        dropped.increment();
        noteError("dropped: the in-flight limit was reached");
    }

    long errors() {
        return statusErrors.sum() + protocolErrors.sum() + ioErrors.sum() + timeouts.sum() + dropped.sum();
    }

    /** The first error seen, to tell a broken path from a slow one; null when there was none. */
    String firstError() {
        return firstError.get();
    }

    private void noteError(String message) {
        firstError.compareAndSet(null, message);
    }

    private static long micros(long nanos) {
        return Math.min(HIGHEST_TRACKABLE_MICROS, Math.max(0, nanos / 1_000));
    }
}
