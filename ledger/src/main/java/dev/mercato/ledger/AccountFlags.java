package dev.mercato.ledger;

/**
 * What the database enforces on an account's balance, and whether its postings are batched.
 *
 * <p>{@code debitsMustNotExceedCredits}: debits posted plus debits pending never exceed credits
 * posted (a consumer's balance never goes below zero). {@code creditsMustNotExceedDebits}: the
 * mirror image (an asset account cannot pay out more than came in). {@code batched}: postings that
 * cannot break the account's balance flag are appended as deltas instead of updating the account
 * row inside the request's transaction, so a hot account is not a global lock (see README).
 */
public record AccountFlags(boolean debitsMustNotExceedCredits, boolean creditsMustNotExceedDebits, boolean batched) {

    /** A consumer ({@code user:<id>}): never below zero, its row locked by each request against it. */
    public static final AccountFlags USER = new AccountFlags(true, false, false);

    /**
     * An operator's earnings ({@code provider:<id>}): credited by every request it serves, so
     * credits are batched; a debit (a withdrawal) is checked against the balance under the row lock.
     */
    public static final AccountFlags PROVIDER = new AccountFlags(true, false, true);

    /** A system account touched by every request ({@code clearing:inference}, {@code revenue:fee}): batched, no balance flag. */
    public static final AccountFlags SYSTEM = new AccountFlags(false, false, true);

    /**
     * Where money enters the ledger ({@code asset:usdc:<chain>}, {@code equity:dev-credit}): debits
     * may exceed credits (it "goes negative" as it funds others), but it never pays out more than came in.
     */
    public static final AccountFlags SOURCE = new AccountFlags(false, true, false);

    public AccountFlags {
        if (debitsMustNotExceedCredits && creditsMustNotExceedDebits) {
            throw new IllegalArgumentException("an account cannot have both balance flags: it could never move money");
        }
    }
}
