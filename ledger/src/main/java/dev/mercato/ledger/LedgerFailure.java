package dev.mercato.ledger;

/**
 * The database failed, or kept refusing after the bounded retries. Whether the operation
 * committed may be unknown (the connection can die after commit); repeating it with the same
 * ids is always safe, because every transfer id is an idempotency key.
 */
public final class LedgerFailure extends RuntimeException {

    public LedgerFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
