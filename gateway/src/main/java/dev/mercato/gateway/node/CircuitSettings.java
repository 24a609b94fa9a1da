package dev.mercato.gateway.node;

import io.micronaut.context.annotation.ConfigurationProperties;

import java.time.Duration;

/**
 * Each node's circuit breaker (application.yml: mercato.nodes.circuit): over its last
 * {@code windowCalls} requests (once it has seen {@code minimumCalls}), a node failing at least
 * {@code failureRatePercent} of them is passed over for {@code openDuration}; then
 * {@code halfOpenCalls} requests try it again, and their outcome closes or reopens it.
 */
@ConfigurationProperties("mercato.nodes.circuit")
public record CircuitSettings(int failureRatePercent, int windowCalls, int minimumCalls, Duration openDuration,
                              int halfOpenCalls) {

    public CircuitSettings {
        if (failureRatePercent < 1 || failureRatePercent > 100) {
            throw new IllegalArgumentException("mercato.nodes.circuit.failure-rate-percent must be 1 to 100, was "
                + failureRatePercent);
        }
        if (windowCalls < 1 || minimumCalls < 1 || halfOpenCalls < 1) {
            throw new IllegalArgumentException("mercato.nodes.circuit window-calls, minimum-calls and half-open-calls "
                + "must be at least 1");
        }
        if (openDuration == null || openDuration.isNegative() || openDuration.isZero()) {
            throw new IllegalArgumentException("mercato.nodes.circuit.open-duration must be positive, was " + openDuration);
        }
    }
}
