package dev.mercato.ledger;

/** An account's four counters, or a change to them, in nano-USDC; sums are overflow-checked. */
record Counters(long debitsPending, long debitsPosted, long creditsPending, long creditsPosted) {

    static final Counters ZERO = new Counters(0, 0, 0, 0);

    Counters plus(Counters other) {
        return new Counters(
            Math.addExact(debitsPending, other.debitsPending),
            Math.addExact(debitsPosted, other.debitsPosted),
            Math.addExact(creditsPending, other.creditsPending),
            Math.addExact(creditsPosted, other.creditsPosted));
    }

    /** Debits posted plus pending: what {@code debits_must_not_exceed_credits} holds against credits posted. */
    long debitExposure() {
        return Math.addExact(debitsPosted, debitsPending);
    }

    /** Credits posted plus pending: what {@code credits_must_not_exceed_debits} holds against debits posted. */
    long creditExposure() {
        return Math.addExact(creditsPosted, creditsPending);
    }

    boolean anyNegative() {
        return debitsPending < 0 || debitsPosted < 0 || creditsPending < 0 || creditsPosted < 0;
    }

    AccountBalance toBalance() {
        return new AccountBalance(creditsPosted, debitsPosted, creditsPending, debitsPending);
    }
}
