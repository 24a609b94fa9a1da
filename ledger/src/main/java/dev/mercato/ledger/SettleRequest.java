package dev.mercato.ledger;

import java.util.UUID;

/**
 * A hold to post with its actual cost, {@code shareNano} of it to the provider and the rest to
 * the fee account (see {@link Ledger#settle}).
 */
public record SettleRequest(UUID holdId, long costNano, String providerKey, String feeKey, long shareNano) {
}
