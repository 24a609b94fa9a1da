package dev.mercato.gateway.payouts;

import dev.mercato.gateway.chain.ChainSettings;
import dev.mercato.ledger.Usdc;
import io.micronaut.context.annotation.ConfigurationProperties;

import java.time.Duration;

/**
 * How payouts are paid (application.yml: mercato.payouts), without the hot wallet's key, which
 * {@link HotWallet} reads and keeps to itself.
 *
 * @param minAmountUsdc the smallest withdrawal, as a decimal USDC string
 * @param gasLimit gas for one token transfer
 * @param maxGasPriceGwei the highest gas price a payout transaction pays
 * @param dropAfter how long a sent transfer may stay unmined before it is cancelled
 * @param pollInterval how often each chain's payout worker takes a step
 * @param holdExpiry how long a payout's ledger hold lives; a payout not sent within half of it fails
 */
@ConfigurationProperties("mercato.payouts")
public record PayoutSettings(String minAmountUsdc, long gasLimit, long maxGasPriceGwei, Duration dropAfter,
                             Duration pollInterval, Duration holdExpiry) {

    static final long MAX_GAS_LIMIT = 1_000_000;
    static final long MAX_GAS_PRICE_GWEI = 100_000;

    public PayoutSettings {
        long minNano = Usdc.parse(minAmountUsdc);
        if (minNano <= 0 || minNano % ChainSettings.NANO_PER_TOKEN_UNIT != 0) {
            throw new IllegalArgumentException("mercato.payouts.min-amount-usdc must be a positive USDC amount with at "
                + "most 6 decimals, was '" + minAmountUsdc + "'");
        }
        if (gasLimit < 21_000 || gasLimit > MAX_GAS_LIMIT) {
            throw new IllegalArgumentException("mercato.payouts.gas-limit must be 21000 to " + MAX_GAS_LIMIT + ", was "
                + gasLimit);
        }
        if (maxGasPriceGwei < 1 || maxGasPriceGwei > MAX_GAS_PRICE_GWEI) {
            throw new IllegalArgumentException("mercato.payouts.max-gas-price-gwei must be 1 to " + MAX_GAS_PRICE_GWEI
                + ", was " + maxGasPriceGwei);
        }
        requirePositive("drop-after", dropAfter);
        requirePositive("poll-interval", pollInterval);
        requirePositive("hold-expiry", holdExpiry);
        if (holdExpiry.compareTo(dropAfter.multipliedBy(4)) < 0) {
            throw new IllegalArgumentException("mercato.payouts.hold-expiry (" + holdExpiry + ") must be at least four "
                + "times drop-after (" + dropAfter + "), so a hold outlives its payout's transactions");
        }
    }

    long minAmountNano() {
        return Usdc.parse(minAmountUsdc);
    }

    /** How long a requested payout may wait for the worker before it fails: half the hold's life. */
    Duration sendBy() {
        return holdExpiry.dividedBy(2);
    }

    private static void requirePositive(String setting, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("mercato.payouts." + setting + " must be a positive duration, was " + value);
        }
    }
}
