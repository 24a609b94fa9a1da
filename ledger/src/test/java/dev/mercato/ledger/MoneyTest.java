package dev.mercato.ledger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MoneyTest {

    @Test
    void costIsTokensTimesPricePerMillionMicrosOverAThousand() {
        // 1,000 tokens at 3 USDC per million tokens cost 0.003 USDC.
        assertEquals(3_000_000, Money.costNano(1_000, 3_000_000));
        assertEquals(2, Money.costNano(2_000, 1));
        assertEquals(0, Money.costNano(0, 15_000_000));
        assertEquals(0, Money.costNano(1_000_000, 0));
    }

    @Test
    void aFractionOfANanoIsRoundedUp() {
        assertEquals(1, Money.costNano(1, 1));
        assertEquals(2, Money.costNano(1_001, 1));
        assertEquals(1_500_000, Money.costNano(1, 1_499_999_001));
    }

    @Test
    void overflowIsAnErrorNotAWrap() {
        assertThrows(ArithmeticException.class, () -> Money.costNano(Long.MAX_VALUE / 2 + 1, 2));
    }

    @Test
    void refusesNegativeTokensOrPrices() {
        assertThrows(IllegalArgumentException.class, () -> Money.costNano(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> Money.costNano(1, -1));
    }
}
