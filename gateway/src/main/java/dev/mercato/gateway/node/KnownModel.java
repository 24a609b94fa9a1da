package dev.mercato.gateway.node;

import io.micronaut.core.annotation.Introspected;

import java.time.Instant;

/** A model some node has offered at some time, and the protocol it is served in. */
@Introspected
public record KnownModel(String id, String protocol, Instant firstSeenAt) {
}
