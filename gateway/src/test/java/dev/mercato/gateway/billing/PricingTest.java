package dev.mercato.gateway.billing;

import dev.mercato.protocol.TokenUsage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PricingTest {

    // $3 / $15 / $3.75 / $0.30 per million tokens, operator share 80 %.
    private final ModelPrice sonnet = new ModelPrice("claude", 3_000_000, 15_000_000, 3_750_000, 300_000, 8000, 64_000, null);

    @Test
    void pricesEachTokenKindAtItsOwnPrice() {
        // 1,000 input = 3,000,000 nano; 500 output = 7,500,000; 200 cache writes = 750,000; 10,000 cache reads = 3,000,000.
        assertEquals(14_250_000, Pricing.costNano(new TokenUsage(1000, 500, 200, 10_000, 0), sonnet));
    }

    @Test
    void roundsUpOncePerRequestNotPerPart() {
        ModelPrice cheap = new ModelPrice("m", 1, 1, 1, 1, 8000, 100, null);
        // Each part alone is 0.001 nano; rounding each up would charge 4 nano, the sum rounds to 1.
        assertEquals(1, Pricing.costNano(new TokenUsage(1, 1, 1, 1, 0), cheap));
        assertEquals(0, Pricing.costNano(TokenUsage.ZERO, cheap));
        assertEquals(2, Pricing.costNano(new TokenUsage(1001, 0, 0, 0, 0), cheap));
    }

    @Test
    void reasoningTokensAreOutputAndNotChargedTwice() {
        assertEquals(Pricing.costNano(new TokenUsage(0, 100, 0, 0, 0), sonnet),
            Pricing.costNano(new TokenUsage(0, 100, 0, 0, 60), sonnet));
    }

    @Test
    void theMaximumCostTakesTheDearestInputPriceAndTheWholeOutputBound() {
        // 2,000 input bytes at the cache-write price ($3.75/M) = 7,500,000; 1,024 output at $15/M = 15,360,000.
        assertEquals(22_860_000, Pricing.maxCostNano(2000, 1024, sonnet));
    }

    @Test
    void splitsACostExactlyBetweenOperatorAndPlatform() {
        long cost = 14_250_001;
        long share = Pricing.providerShareNano(cost, 8000);
        assertEquals(11_400_000, share);
        assertEquals(2_850_001, cost - share);
        assertEquals(0, Pricing.providerShareNano(cost, 0));
        assertEquals(cost, Pricing.providerShareNano(cost, 10_000));
    }

    @Test
    void overflowIsAnErrorNotAWrap() {
        ModelPrice dearest = new ModelPrice("m", ModelPrice.MAX_PER_MILLION_MICROS, 1, 1, 1, 0, 1, null);
        assertThrows(ArithmeticException.class,
            () -> Pricing.costNano(new TokenUsage(Long.MAX_VALUE / 2, 0, 0, 0, 0), dearest));
    }

    @Test
    void refusesNonsensePrices() {
        assertThrows(IllegalArgumentException.class, () -> new ModelPrice("m", -1, 0, 0, 0, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new ModelPrice("m", 0, 0, 0, 0, 10_001, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new ModelPrice("m", 0, 0, 0, 0, 0, 0, null));
    }
}
