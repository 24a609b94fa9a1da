package dev.mercato.ledger;

/**
 * Amounts shown to people: exact decimal USDC strings to and from integer nano-USDC, never floats.
 */
public final class Usdc {

    /** Nano-USDC in one USDC: the ledger's unit is 10⁻⁹ USDC. */
    public static final long NANO_PER_USDC = 1_000_000_000L;

    /** Decimal places a nano-USDC amount can carry. */
    public static final int MAX_DECIMALS = 9;

    /** Longer text cannot be a nano-USDC amount ("-9223372036.854775808" is 21 characters). */
    static final int MAX_TEXT_LENGTH = 32;

    private Usdc() {
    }

    /** Exact decimal USDC without trailing zeros: 1500000000 → "1.5", 1 → "0.000000001", 0 → "0", -5 → "-0.000000005". */
    public static String format(long nano) {
        long whole = Math.abs(nano / NANO_PER_USDC);
        long fraction = Math.abs(nano % NANO_PER_USDC);
        StringBuilder text = new StringBuilder(24);
        if (nano < 0) {
            text.append('-');
        }
        text.append(whole);
        if (fraction != 0) {
            String digits = Long.toString(fraction);
            text.append('.');
            text.repeat('0', MAX_DECIMALS - digits.length());
            int end = digits.length();
            while (digits.charAt(end - 1) == '0') {
                end--;
            }
            text.append(digits, 0, end);
        }
        return text.toString();
    }

    /**
     * Parses a decimal USDC amount ("12", "0.5", "-3.000000001") into nano-USDC.
     *
     * @throws NumberFormatException if the text is not digits with at most {@value #MAX_DECIMALS} decimals
     * @throws ArithmeticException if the amount does not fit in a long of nano-USDC
     */
    public static long parse(String decimalUsdc) {
        if (decimalUsdc == null || decimalUsdc.isEmpty() || decimalUsdc.length() > MAX_TEXT_LENGTH) {
            throw new NumberFormatException("not a USDC amount: " + quoted(decimalUsdc));
        }
        boolean negative = decimalUsdc.charAt(0) == '-';
        int start = negative ? 1 : 0;
        int point = decimalUsdc.indexOf('.');
        int wholeEnd = point < 0 ? decimalUsdc.length() : point;
        int decimals = point < 0 ? 0 : decimalUsdc.length() - point - 1;
        if (wholeEnd == start || (point >= 0 && (decimals == 0 || decimals > MAX_DECIMALS))) {
            throw new NumberFormatException("not a USDC amount with at most " + MAX_DECIMALS + " decimals: "
                + quoted(decimalUsdc));
        }
        // Accumulated as a negative number, whose range includes Long.MIN_VALUE.
        long negativeNano = 0;
        for (int i = start; i < decimalUsdc.length(); i++) {
            if (i == point) {
                continue;
            }
            int digit = decimalUsdc.charAt(i) - '0';
            if (digit < 0 || digit > 9) {
                throw new NumberFormatException("not a USDC amount: " + quoted(decimalUsdc));
            }
            negativeNano = Math.subtractExact(Math.multiplyExact(negativeNano, 10L), digit);
        }
        for (int i = decimals; i < MAX_DECIMALS; i++) {
            negativeNano = Math.multiplyExact(negativeNano, 10L);
        }
        return negative ? negativeNano : Math.negateExact(negativeNano);
    }

    private static String quoted(String text) {
        if (text == null) {
            return "null";
        }
        return '"' + (text.length() > MAX_TEXT_LENGTH ? text.substring(0, MAX_TEXT_LENGTH) + "…" : text) + '"';
    }
}
