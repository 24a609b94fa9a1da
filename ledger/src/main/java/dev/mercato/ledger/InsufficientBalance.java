package dev.mercato.ledger;

/** A transfer refused because the account's balance cannot cover it (a consumer's 402). */
public final class InsufficientBalance extends RuntimeException {

    private final String accountKey;
    private final long balanceNano;
    private final long neededNano;

    public InsufficientBalance(String accountKey, long balanceNano, long neededNano) {
        super("account " + accountKey + " has " + Usdc.format(balanceNano) + " USDC available, "
            + Usdc.format(neededNano) + " USDC needed");
        this.accountKey = accountKey;
        this.balanceNano = balanceNano;
        this.neededNano = neededNano;
    }

    /** The account whose balance flag refused the transfer. */
    public String accountKey() {
        return accountKey;
    }

    public long balanceNano() {
        return balanceNano;
    }

    public long neededNano() {
        return neededNano;
    }
}
