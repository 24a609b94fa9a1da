package dev.mercato.ledger;

/** Integer money arithmetic in nano-USDC, overflow-checked. */
public final class Money {

    /** Tokens are priced per million in micro-USDC; n × p micro per million = n × p / 1000 nano. */
    static final long PRICE_UNITS_PER_NANO = 1000;

    private Money() {
    }

    /**
     * The cost in nano-USDC of {@code tokens} at {@code pricePerMillionMicros}: n × p / 1000,
     * rounded up to the nano (ledger.md: one rounding, upwards, per request).
     *
     * @throws ArithmeticException if n × p overflows a long
     */
    public static long costNano(long tokens, long pricePerMillionMicros) {
        if (tokens < 0 || pricePerMillionMicros < 0) {
            throw new IllegalArgumentException("tokens and price must not be negative, were " + tokens + " and "
                + pricePerMillionMicros);
        }
        return Math.ceilDiv(Math.multiplyExact(tokens, pricePerMillionMicros), PRICE_UNITS_PER_NANO);
    }
}
