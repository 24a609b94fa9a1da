package dev.mercato.gateway.signin;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/** The account a wallet signs in to; the address is lower-case 0x and 40 hex digits. */
@MappedEntity("wallet")
record WalletRow(@Id String address, long accountId, Instant createdAt) {
}
