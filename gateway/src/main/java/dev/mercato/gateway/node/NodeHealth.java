package dev.mercato.gateway.node;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.concurrent.TimeUnit;

/**
 * What this gateway has seen of one node, kept by the node's name so a reconnect does not wipe
 * it: its circuit breaker and moving averages of how fast it starts answering and how long its
 * answers take. The averages weigh the last sample by {@link #WEIGHT_OF_NEWEST}, so they follow a
 * node that slows down within a few dozen requests while one slow answer moves them little.
 */
public final class NodeHealth {

    static final double WEIGHT_OF_NEWEST = 0.1;

    private final CircuitBreaker circuit;
    // Guarded by this; a few nanoseconds per request, far from any contention that matters.
    private double firstByteMillis = Double.NaN;
    private double latencyMillis = Double.NaN;
    private long answered;
    private long failed;

    NodeHealth(CircuitBreaker circuit) {
        this.circuit = circuit;
    }

    CircuitBreaker circuit() {
        return circuit;
    }

    /** The node began answering this long after the request was sent to it. */
    void answered(long firstByteNanos) {
        circuit.onSuccess(firstByteNanos, TimeUnit.NANOSECONDS);
        synchronized (this) {
            answered++;
            firstByteMillis = average(firstByteMillis, firstByteNanos / 1e6);
        }
    }

    void failed(long elapsedNanos, String why) {
        circuit.onError(elapsedNanos, TimeUnit.NANOSECONDS, new NodeFailed(why));
        synchronized (this) {
            failed++;
        }
    }

    /** A request the node served ended this long after it was sent (the whole answer, not its start). */
    synchronized void completed(long latencyNanos) {
        latencyMillis = average(latencyMillis, latencyNanos / 1e6);
    }

    private static double average(double current, double sample) {
        return Double.isNaN(current) ? sample : current + WEIGHT_OF_NEWEST * (sample - current);
    }

    /** Moving average of the time to the node's first answer frame; NaN before its first answer. */
    synchronized double firstByteMillis() {
        return firstByteMillis;
    }

    public synchronized Snapshot snapshot() {
        float failureRate = circuit.getMetrics().getFailureRate();
        return new Snapshot(circuit.getState().name().toLowerCase(java.util.Locale.ROOT),
            failureRate < 0 ? null : (double) failureRate,
            Double.isNaN(firstByteMillis) ? null : Math.round(firstByteMillis * 10) / 10.0,
            Double.isNaN(latencyMillis) ? null : Math.round(latencyMillis * 10) / 10.0, answered, failed);
    }

    /**
     * The node's health as shown to its operator. {@code errorRatePercent} is over the circuit
     * breaker's window and null until it holds enough calls; the averages are null until the first
     * sample; the counts are since this gateway started.
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Snapshot(String circuit, @Nullable Double errorRatePercent, @Nullable Double firstByteMillis,
                           @Nullable Double latencyMillis, long attemptsAnswered, long attemptsFailed) {
    }

    /** What a circuit breaker records for a failure: the reason, without a stack trace. */
    private static final class NodeFailed extends RuntimeException {
        NodeFailed(String why) {
            super(why, null, false, false);
        }
    }
}
