package dev.mercato.gateway.billing;

import io.micronaut.core.annotation.Introspected;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;

/**
 * What one model costs: integer micro-USDC per million tokens of each kind, the share of the
 * cost that goes to the serving operator (basis points), and the most output tokens a request
 * may ask for (used as the output bound when a request names none).
 */
@Introspected
@Serdeable
public record ModelPrice(String modelId, long inputPerMillionMicros, long outputPerMillionMicros,
                         long cacheWritePerMillionMicros, long cacheReadPerMillionMicros, int providerShareBps,
                         int maxOutputTokens, @Nullable Instant effectiveFrom) {

    /** Far above any real price (a million USDC per million tokens); anything larger is a typo. */
    public static final long MAX_PER_MILLION_MICROS = 1_000_000L * 1_000_000L;
    public static final int MAX_SHARE_BPS = 10_000;

    public ModelPrice {
        check("inputPerMillionMicros", inputPerMillionMicros);
        check("outputPerMillionMicros", outputPerMillionMicros);
        check("cacheWritePerMillionMicros", cacheWritePerMillionMicros);
        check("cacheReadPerMillionMicros", cacheReadPerMillionMicros);
        if (providerShareBps < 0 || providerShareBps > MAX_SHARE_BPS) {
            throw new IllegalArgumentException("providerShareBps must be between 0 and " + MAX_SHARE_BPS
                + ", was " + providerShareBps);
        }
        if (maxOutputTokens < 1 || maxOutputTokens > 10_000_000) {
            throw new IllegalArgumentException("maxOutputTokens must be between 1 and 10000000, was " + maxOutputTokens);
        }
    }

    private static void check(String name, long perMillionMicros) {
        if (perMillionMicros < 0 || perMillionMicros > MAX_PER_MILLION_MICROS) {
            throw new IllegalArgumentException(name + " must be between 0 and " + MAX_PER_MILLION_MICROS
                + " micro-USDC per million tokens, was " + perMillionMicros);
        }
    }

    public ModelPrice forModel(String otherModelId) {
        return new ModelPrice(otherModelId, inputPerMillionMicros, outputPerMillionMicros, cacheWritePerMillionMicros,
            cacheReadPerMillionMicros, providerShareBps, maxOutputTokens, effectiveFrom);
    }
}
