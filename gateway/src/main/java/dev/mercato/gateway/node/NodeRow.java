package dev.mercato.gateway.node;

import io.micronaut.core.annotation.Introspected;
import io.micronaut.core.annotation.Nullable;

import java.time.Instant;

/** A registered node as stored (its token only as a hash, which is not read here). */
@Introspected
public record NodeRow(long id, String name, Instant createdAt, @Nullable Instant lastSeenAt) {
}
