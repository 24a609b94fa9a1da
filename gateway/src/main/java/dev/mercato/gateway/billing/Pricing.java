package dev.mercato.gateway.billing;

import dev.mercato.protocol.TokenUsage;

/**
 * The one price calculation: each token kind at its own price, summed exactly, rounded up
 * to the nano once per request (ledger.md). n tokens at p micro-USDC per million cost
 * n × p / 1000 nano; the sum is kept in thousandths of a nano until the single rounding.
 */
public final class Pricing {

    private Pricing() {
    }

    /** The cost of an answer's usage, in nano-USDC. @throws ArithmeticException on overflow */
    public static long costNano(TokenUsage usage, ModelPrice price) {
        long picoUsdc = 0;
        picoUsdc = Math.addExact(picoUsdc, Math.multiplyExact(usage.inputTokens(), price.inputPerMillionMicros()));
        picoUsdc = Math.addExact(picoUsdc, Math.multiplyExact(usage.outputTokens(), price.outputPerMillionMicros()));
        picoUsdc = Math.addExact(picoUsdc, Math.multiplyExact(usage.cacheWriteTokens(), price.cacheWritePerMillionMicros()));
        picoUsdc = Math.addExact(picoUsdc, Math.multiplyExact(usage.cacheReadTokens(), price.cacheReadPerMillionMicros()));
        return ceilDiv(picoUsdc, 1000);
    }

    /**
     * The most a request can cost: every input token at the dearest input price (a cache write
     * costs more than plain input), plus the output bound at the output price. What is reserved
     * before the request is forwarded.
     */
    public static long maxCostNano(long inputTokensBound, long outputTokensBound, ModelPrice price) {
        long dearestInput = Math.max(Math.max(price.inputPerMillionMicros(), price.cacheWritePerMillionMicros()),
            price.cacheReadPerMillionMicros());
        long picoUsdc = Math.addExact(Math.multiplyExact(inputTokensBound, dearestInput),
            Math.multiplyExact(outputTokensBound, price.outputPerMillionMicros()));
        return ceilDiv(picoUsdc, 1000);
    }

    /** The operator's part of a cost: floor(cost × share / 10,000); the platform fee is the rest, so no nano is lost. */
    public static long providerShareNano(long costNano, int providerShareBps) {
        return Math.multiplyExact(costNano, (long) providerShareBps) / ModelPrice.MAX_SHARE_BPS;
    }

    private static long ceilDiv(long value, long divisor) {
        return Math.ceilDiv(value, divisor);
    }
}
