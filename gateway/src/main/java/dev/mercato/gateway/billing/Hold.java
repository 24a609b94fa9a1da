package dev.mercato.gateway.billing;

import dev.mercato.protocol.TokenUsage;

import java.util.UUID;

/**
 * The maximum cost of one admitted request, reserved on the consumer's account, with the price
 * in force at admission: the price it will be charged at, whatever changes while it runs.
 */
public record Hold(UUID holdId, String accountKey, ModelPrice price, long maxCostNano) {

    /** What this usage is charged: its cost at the admitted price, never more than was held. */
    public long chargedNano(TokenUsage usage) {
        return Math.min(Pricing.costNano(usage, price), maxCostNano);
    }
}
