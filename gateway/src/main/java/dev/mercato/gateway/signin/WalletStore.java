package dev.mercato.gateway.signin;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import org.web3j.crypto.Keys;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The database side of an account's wallets: linking and unlinking, each in one transaction that
 * holds the account's row, so links and unlinks of one account take turns.
 */
@Singleton
class WalletStore {

    private final SignInStore signIn;
    private final WalletRepository wallets;
    private final WebSessionRepository sessions;

    WalletStore(SignInStore signIn, WalletRepository wallets, WebSessionRepository sessions) {
        this.signIn = signIn;
        this.wallets = wallets;
        this.sessions = sessions;
    }

    @Transactional(readOnly = true)
    List<WalletRow> linked(long accountId) {
        return wallets.findLinkedToAccount(accountId);
    }

    /**
     * Uses the message's nonce and links the wallet to the account, all or nothing: a refusal leaves the
     * nonce unused, and a link exists only with its nonce gone.
     *
     * @param address lower-case 0x address whose signature was verified
     * @throws ApiError.Exception {@code wallet_linked_elsewhere} when another account holds the wallet, also when
     *                            it took the wallet a moment ago; {@code invalid_request} at the wallet limit
     */
    @Transactional
    Linked link(long accountId, String address, String nonce, Instant now, long nonceTtlSeconds, int maxWallets) {
        signIn.useNonce(nonce, now, nonceTtlSeconds);
        lockAccount(accountId);
        Optional<WalletRow> held = wallets.findLinked(address);
        if (held.isPresent()) {
            if (held.get().accountId() != accountId) {
                throw linkedElsewhere(address);
            }
            return new Linked(held.get(), false);
        }
        long linkedCount = wallets.countLinkedToAccount(accountId);
        if (linkedCount >= maxWallets) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST, "An account may have at most "
                + maxWallets + " wallets and this one has " + linkedCount + "; unlink one first."));
        }
        if (wallets.claim(address, accountId, now) != 1) {
            // Another account's link or first sign-in of this wallet committed while this one waited.
            throw linkedElsewhere(address);
        }
        return new Linked(new WalletRow(address, accountId, now, now, null), true);
    }

    /**
     * Unlinks the wallet from the account and ends the sessions it opened there, so a wallet let go
     * (lost, sold, compromised) keeps no way into the account.
     *
     * @param address        lower-case 0x address
     * @param sessionAddress lower-case address the caller's session signed in with
     * @return how many sessions this ended
     */
    @Transactional
    int unlink(long accountId, String address, String sessionAddress, Instant now) {
        lockAccount(accountId);
        Optional<WalletRow> held = wallets.findLinked(address);
        if (held.isEmpty() || held.get().accountId() != accountId) {
            // The same answer for a wallet of another account, so nothing about other accounts shows.
            throw new ApiError.Exception(ApiError.of(ErrorCode.NOT_FOUND,
                "No wallet " + Keys.toChecksumAddress(address) + " is linked to this account."));
        }
        if (wallets.countLinkedToAccount(accountId) <= 1) {
            throw new ApiError.Exception(ApiError.invalidParam("address", Keys.toChecksumAddress(address)
                + " is the account's only wallet, and an account needs one to sign in; link another wallet first."));
        }
        if (address.equals(sessionAddress)) {
            throw new ApiError.Exception(ApiError.invalidParam("address", "This session signed in with "
                + Keys.toChecksumAddress(address) + "; sign in with another of the account's wallets to unlink it."));
        }
        if (wallets.unlink(address, accountId, now) != 1) {
            throw new IllegalStateException("wallet " + address + " was found linked to account " + accountId
                + " under the account's lock but could not be unlinked");
        }
        return sessions.signOutWallet(accountId, address, now);
    }

    private void lockAccount(long accountId) {
        if (wallets.lockAccount(accountId) != 1) {
            throw new IllegalStateException("account " + accountId + " of a live session does not exist");
        }
    }

    private static ApiError.Exception linkedElsewhere(String address) {
        return new ApiError.Exception(ApiError.of(ErrorCode.WALLET_LINKED_ELSEWHERE, "The wallet "
            + Keys.toChecksumAddress(address) + " belongs to another account; unlink it there first, then link it here."));
    }

    /** @param created false when the wallet was linked to this account already, and nothing changed */
    record Linked(WalletRow wallet, boolean created) {
    }
}
