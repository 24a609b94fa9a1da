package dev.mercato.ledger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UsdcTest {

    @Test
    void formatsExactDecimalsWithoutTrailingZeros() {
        assertEquals("1.5", Usdc.format(1_500_000_000L));
        assertEquals("0.000000001", Usdc.format(1));
        assertEquals("0", Usdc.format(0));
        assertEquals("1", Usdc.format(1_000_000_000L));
        assertEquals("12.345678901", Usdc.format(12_345_678_901L));
        assertEquals("0.0000001", Usdc.format(100));
        assertEquals("0.001", Usdc.format(1_000_000));
    }

    @Test
    void formatsNegativeAmountsAndTheExtremesOfALong() {
        assertEquals("-0.000000005", Usdc.format(-5));
        assertEquals("-1.5", Usdc.format(-1_500_000_000L));
        assertEquals("9223372036.854775807", Usdc.format(Long.MAX_VALUE));
        assertEquals("-9223372036.854775808", Usdc.format(Long.MIN_VALUE));
    }

    @Test
    void parsesDecimalUsdcIntoNano() {
        assertEquals(1_500_000_000L, Usdc.parse("1.5"));
        assertEquals(1, Usdc.parse("0.000000001"));
        assertEquals(0, Usdc.parse("0"));
        assertEquals(12_000_000_000L, Usdc.parse("12"));
        assertEquals(7_250_000_000L, Usdc.parse("007.25"));
        assertEquals(-500_000_000L, Usdc.parse("-0.5"));
        assertEquals(Long.MAX_VALUE, Usdc.parse("9223372036.854775807"));
        assertEquals(Long.MIN_VALUE, Usdc.parse("-9223372036.854775808"));
    }

    @Test
    void parseReadsBackWhatFormatWrites() {
        long[] amounts = {0, 1, -1, 999_999_999, 1_000_000_001, 123_456_789_012L, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long nano : amounts) {
            assertEquals(nano, Usdc.parse(Usdc.format(nano)), () -> "round trip of " + nano);
        }
    }

    @Test
    void refusesMoreThanNineDecimals() {
        NumberFormatException refused = assertThrows(NumberFormatException.class, () -> Usdc.parse("0.0000000001"));
        assertEquals("not a USDC amount with at most 9 decimals: \"0.0000000001\"", refused.getMessage());
    }

    @Test
    void refusesTextThatIsNotADecimalAmount() {
        for (String text : new String[] {"", "-", ".5", "1.", "1,5", "+1", "1e3", " 1", "1 ", "1.2.3", "abc", "--1", "0x10"}) {
            assertThrows(NumberFormatException.class, () -> Usdc.parse(text), () -> "accepted \"" + text + "\"");
        }
        assertThrows(NumberFormatException.class, () -> Usdc.parse(null));
        assertThrows(NumberFormatException.class, () -> Usdc.parse("0".repeat(Usdc.MAX_TEXT_LENGTH + 1)));
    }

    @Test
    void refusesAmountsBeyondALongOfNano() {
        assertThrows(ArithmeticException.class, () -> Usdc.parse("9223372036.854775808"));
        assertThrows(ArithmeticException.class, () -> Usdc.parse("-9223372036.854775809"));
        assertThrows(ArithmeticException.class, () -> Usdc.parse("9223372037"));
    }
}
