package dev.mercato.ledger;

import java.util.UUID;

/** A transfer id that already exists with different fields: an idempotency key reused for something else. */
public final class TransferConflict extends RuntimeException {

    public TransferConflict(UUID transferId, String difference) {
        super("transfer " + transferId + " already exists with a different " + difference);
    }
}
