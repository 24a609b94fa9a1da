package dev.mercato.ledger;

/** The accounts one inference request moves money between, named and flagged as the gateway does. */
final class RequestAccounts {

    static final String USER = "user:1";
    static final String CLEARING = "clearing:inference";
    static final String PROVIDER = "provider:7";
    static final String FEE = "revenue:fee";
    static final String EQUITY = "equity:dev-credit";

    private RequestAccounts() {
    }

    /** Creates them all, unfunded. */
    static void create(Ledger ledger) {
        ledger.ensureAccount(USER, AccountFlags.USER);
        ledger.ensureAccount(CLEARING, AccountFlags.SYSTEM);
        ledger.ensureAccount(PROVIDER, AccountFlags.PROVIDER);
        ledger.ensureAccount(FEE, AccountFlags.SYSTEM);
        ledger.ensureAccount(EQUITY, AccountFlags.SOURCE);
    }
}
