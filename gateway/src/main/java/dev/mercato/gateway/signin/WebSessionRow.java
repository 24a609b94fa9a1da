package dev.mercato.gateway.signin;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/** A dashboard session: the SHA-256 of its cookie secret, never the secret, and the wallet that signed in. */
@MappedEntity("web_session")
record WebSessionRow(@Id @GeneratedValue @Nullable Long id, String tokenHash, long accountId, String address,
                     Instant createdAt, Instant expiresAt, @Nullable Instant signedOutAt) {
}
