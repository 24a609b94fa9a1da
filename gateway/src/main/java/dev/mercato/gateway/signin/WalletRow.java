package dev.mercato.gateway.signin;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/**
 * The account a wallet signs in to; the address is lower-case 0x and 40 hex digits.
 *
 * @param createdAt  when the address was first bound to any account
 * @param linkedAt   when it was bound to {@code accountId}
 * @param unlinkedAt when {@code accountId} let it go; the address then belongs to no account
 */
@MappedEntity("wallet")
record WalletRow(@Id String address, long accountId, Instant createdAt, Instant linkedAt, @Nullable Instant unlinkedAt) {
}
