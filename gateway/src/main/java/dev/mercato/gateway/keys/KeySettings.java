package dev.mercato.gateway.keys;

import io.micronaut.context.annotation.ConfigurationProperties;

/** How authenticated keys are cached (application.yml: mercato.keys). */
@ConfigurationProperties("mercato.keys")
public record KeySettings(long cacheTtlMillis, int cacheMaxEntries) {
}
