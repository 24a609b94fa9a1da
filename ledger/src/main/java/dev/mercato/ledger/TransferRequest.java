package dev.mercato.ledger;

import java.util.UUID;

/**
 * A single-phase transfer to post (see {@link Ledger#transferAll}): {@code amountNano} from the
 * debit account to the credit account, idempotent on {@code id}.
 */
public record TransferRequest(UUID id, String debitKey, String creditKey, long amountNano, String code,
                              String userData) {
}
