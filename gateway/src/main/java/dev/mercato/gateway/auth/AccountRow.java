package dev.mercato.gateway.auth;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.DateCreated;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/** A consumer's account: what its keys spend from. */
@MappedEntity("account")
public record AccountRow(@Id @GeneratedValue @Nullable Long id, String name, @DateCreated @Nullable Instant createdAt) {
}
