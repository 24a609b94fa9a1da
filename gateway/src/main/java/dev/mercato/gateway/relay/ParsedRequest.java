package dev.mercato.gateway.relay;

/**
 * A consumer request that passed validation: its model, whether it streams, and the body to
 * send upstream (the consumer's own bytes unless the gateway had to ask for usage).
 */
public record ParsedRequest(ApiRoute route, String model, boolean stream, boolean consumerWantsUsageChunk,
                            String upstreamBody) {
}
