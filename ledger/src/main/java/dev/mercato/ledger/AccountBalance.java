package dev.mercato.ledger;

/** An account's four counters in nano-USDC, batched deltas included. */
public record AccountBalance(long creditsPosted, long debitsPosted, long creditsPending, long debitsPending) {

    /** What a consumer can still spend: credits posted − debits posted − debits pending (negative for a source account). */
    public long availableNano() {
        return Math.subtractExact(Math.subtractExact(creditsPosted, debitsPosted), debitsPending);
    }
}
