package dev.mercato.gateway.node;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link NodeHealth} per node, by its name, so a node that reconnects keeps its record. Its
 * circuit breaker opens on the failure rate; an open circuit half-opens by itself after its
 * wait: a node is passed over for a while, never disabled for good.
 */
@Singleton
public final class NodeHealthRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(NodeHealthRegistry.class);

    private final CircuitBreakerRegistry breakers;
    private final CircuitSettings settings;
    /** Only nodes that authenticated with their token get here, so it holds at most the registered nodes. */
    private final ConcurrentHashMap<String, NodeHealth> healthByNode = new ConcurrentHashMap<>();

    public NodeHealthRegistry(CircuitSettings settings) {
        this.settings = settings;
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(settings.windowCalls())
            .minimumNumberOfCalls(settings.minimumCalls())
            .failureRateThreshold(settings.failureRatePercent())
            .waitDurationInOpenState(settings.openDuration())
            .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
            .automaticTransitionFromOpenToHalfOpenEnabled(true)
            .build());
        breakers.getEventPublisher().onEntryAdded(added -> added.getAddedEntry().getEventPublisher()
            .onStateTransition(event -> LOG.warn("node {}: circuit {} (failure rate {}% over the last {} requests)",
                event.getCircuitBreakerName(), event.getStateTransition().getToState().name().toLowerCase(),
                Math.round(added.getAddedEntry().getMetrics().getFailureRate()),
                added.getAddedEntry().getMetrics().getNumberOfBufferedCalls())));
    }

    NodeHealth of(String nodeName) {
        return healthByNode.computeIfAbsent(nodeName, name -> new NodeHealth(breakers.circuitBreaker(name)));
    }

    /** The node's record, or null when it never connected to this gateway since it started. */
    public NodeHealth find(String nodeName) {
        return healthByNode.get(nodeName);
    }

    /** How long a node whose circuit just opened is passed over: the retry hint when every node is. */
    int openSeconds() {
        return (int) Math.max(1, settings.openDuration().toSeconds());
    }
}
