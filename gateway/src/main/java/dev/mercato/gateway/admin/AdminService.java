package dev.mercato.gateway.admin;

import dev.mercato.gateway.auth.AccountRepository;
import dev.mercato.gateway.auth.AccountRow;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.keys.KeyService;
import dev.mercato.gateway.signin.AccountWallets;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;

import java.util.Map;

/** Creates accounts with a first API key (with any limits, ceilings do not apply); the key's secret is returned once. */
@Singleton
public class AdminService {

    private final AccountRepository accounts;
    private final KeyService keys;
    private final Ledger ledger;
    private final AccountWallets wallets;

    public AdminService(AccountRepository accounts, KeyService keys, Ledger ledger, AccountWallets wallets) {
        this.ledger = ledger;
        this.wallets = wallets;
        this.accounts = accounts;
        this.keys = keys;
    }

    @Transactional
    /** @param wallet null, or the address of a wallet the account is made for: it signs in to this account */
    public CreatedAccount createAccount(String name, Map<String, Object> keySettings, String wallet) {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new ApiError.Exception(ApiError.invalidParam("name", "An account needs a name of 1 to 200 characters."));
        }
        AccountRow account = accounts.save(new AccountRow(null, name.trim(), null));
        String boundWallet = wallet == null ? null : wallets.bindToNewAccount(account.id(), wallet);
        KeyService.CreatedKey key = keys.create(account.id(), keySettings, KeyService.Caller.ADMIN);
        // Its money lives in the ledger; creating the ledger account is idempotent, so a retry is harmless.
        ledger.ensureAccount(Billing.userAccount(account.id()), AccountFlags.USER);
        return new CreatedAccount(account.id(), key.key().id(), key.secret(), boundWallet);
    }

    /** The account and its first key; {@code apiKey} is shown this once and never stored. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record CreatedAccount(long accountId, long keyId, String apiKey, @Nullable String wallet) {
    }
}
