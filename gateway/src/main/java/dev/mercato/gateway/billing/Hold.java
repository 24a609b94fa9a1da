package dev.mercato.gateway.billing;

import dev.mercato.protocol.TokenUsage;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The maximum cost of one admitted request, reserved on the consumer's account, with the price
 * in force at admission: the price it will be charged at, whatever changes while it runs. A
 * request admitted from the gateway's lease has its hold written a moment later: {@code stored}
 * completes then, and a settle or release waits for it.
 */
public record Hold(UUID holdId, String accountKey, ModelPrice price, long maxCostNano, CompletableFuture<Void> stored) {

    /** What this usage is charged: its cost at the admitted price, never more than was held. */
    public long chargedNano(TokenUsage usage) {
        return Math.min(Pricing.costNano(usage, price), maxCostNano);
    }
}
