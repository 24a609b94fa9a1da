package dev.mercato.ledger;

/** A ledger account's identity; its key and flags never change (a trigger refuses it), so it may be cached. */
record Account(long id, String key, AccountFlags flags) {

    /**
     * Whether a posting on this side may skip the account row and go to the delta table: only on a
     * batched account, and only when it cannot break the account's balance flag (credits never make
     * debits exceed credits, and vice versa).
     */
    boolean defers(Side side) {
        return switch (side) {
            case DEBIT -> flags.batched() && !flags.debitsMustNotExceedCredits();
            case CREDIT -> flags.batched() && !flags.creditsMustNotExceedDebits();
        };
    }

    enum Side { DEBIT, CREDIT }
}
