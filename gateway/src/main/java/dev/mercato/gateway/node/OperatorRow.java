package dev.mercato.gateway.node;

import io.micronaut.core.annotation.Introspected;
import io.micronaut.core.annotation.Nullable;

/** An operator as stored; {@code accountId} is the account that owns it, null for one only an admin manages. */
@Introspected
public record OperatorRow(long id, String name, @Nullable Long accountId) {
}
