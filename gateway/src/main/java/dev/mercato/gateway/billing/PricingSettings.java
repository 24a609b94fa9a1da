package dev.mercato.gateway.billing;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * Prices from configuration (application.yml: mercato.pricing): the price of any model that
 * has no price of its own, and the operator's default share. Per-model prices are data,
 * changed through the admin API and kept with their history.
 */
@ConfigurationProperties("mercato.pricing")
public record PricingSettings(long defaultInputPerMillionMicros, long defaultOutputPerMillionMicros,
                              long defaultCacheWritePerMillionMicros, long defaultCacheReadPerMillionMicros,
                              int providerShareBps, int defaultMaxOutputTokens, long refreshMillis) {

    ModelPrice defaultPrice(String modelId) {
        return new ModelPrice(modelId, defaultInputPerMillionMicros, defaultOutputPerMillionMicros,
            defaultCacheWritePerMillionMicros, defaultCacheReadPerMillionMicros, providerShareBps,
            defaultMaxOutputTokens, null);
    }
}
