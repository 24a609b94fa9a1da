package dev.mercato.gateway.signin;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/** A nonce this gateway handed out for a sign-in message; it is deleted when a sign-in uses it. */
@MappedEntity("sign_in_nonce")
record NonceRow(@Id String nonce, Instant expiresAt, Instant createdAt) {
}
