package dev.mercato.gateway.signin;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.transaction.TransactionDefinition;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import org.web3j.crypto.Keys;

import java.time.Clock;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Binds a wallet to an account an admin creates for a known wallet (the local marketplace's demo
 * account is one), in the transaction that creates the account. People bind further wallets by
 * signing, through {@code POST /account/wallets}.
 */
@Singleton
public class AccountWallets {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    private final WalletRepository wallets;
    private final Clock clock;

    AccountWallets(WalletRepository wallets, Clock clock) {
        this.wallets = wallets;
        this.clock = clock;
    }

    /**
     * @return the wallet's lower-case address
     * @throws ApiError.Exception {@code invalid_request} for a malformed address, {@code wallet_linked_elsewhere}
     *                            when another account holds it
     */
    @Transactional(propagation = TransactionDefinition.Propagation.MANDATORY)
    public String bindToNewAccount(long accountId, String address) {
        if (address == null || !ADDRESS.matcher(address).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("wallet",
                "A wallet is a 0x-prefixed address of 40 hex digits; was '" + address + "'."));
        }
        String lowerCase = address.toLowerCase(Locale.ROOT);
        if (wallets.claim(lowerCase, accountId, clock.instant()) != 1) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.WALLET_LINKED_ELSEWHERE, "The wallet "
                + Keys.toChecksumAddress(lowerCase) + " belongs to another account; unlink it there first."));
        }
        return lowerCase;
    }
}
