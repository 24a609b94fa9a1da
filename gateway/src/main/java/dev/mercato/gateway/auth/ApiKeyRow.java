package dev.mercato.gateway.auth;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.DateCreated;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/** A stored API key: never the secret itself, only its hash and what identifies it to a person. */
@MappedEntity("api_key")
public record ApiKeyRow(@Id @GeneratedValue @Nullable Long id, long accountId, String name, String keyHash,
                        String prefix, String lastFour, boolean disabled, @DateCreated @Nullable Instant createdAt,
                        @Nullable Instant lastUsedAt) {
}
