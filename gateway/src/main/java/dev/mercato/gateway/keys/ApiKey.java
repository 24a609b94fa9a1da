package dev.mercato.gateway.keys;

import io.micronaut.core.annotation.Nullable;

import java.time.Instant;

/** A stored API key: never its secret, only what identifies it to a person and what limits it. */
public record ApiKey(long id, long accountId, String name, String prefix, String lastFour, boolean disabled,
                     Instant createdAt, @Nullable Instant expiresAt, KeyLimits limits) {

    /** How a key is named in messages without revealing it: "msk_AbCd…wxyz". */
    public String redacted() {
        return prefix + "…" + lastFour;
    }

    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }
}
