package dev.mercato.gateway.signin;

import dev.mercato.gateway.auth.AccountRepository;
import dev.mercato.gateway.auth.AccountRow;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import io.micronaut.transaction.TransactionDefinition;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import org.web3j.crypto.Keys;

import java.time.Instant;
import java.util.Optional;

/** The database side of signing in: nonces, wallets with their accounts, and sessions, each change in one transaction. */
@Singleton
class SignInStore {

    /** Expired nonces deleted per nonce issued: more than one, so the table drains faster than it fills. */
    static final int EXPIRED_NONCES_DELETED_PER_ISSUE = 100;
    /** How long a client waits before asking again when max-pending-nonces are outstanding. */
    static final int PENDING_NONCES_FULL_RETRY_SECONDS = 60;

    private final NonceRepository nonces;
    private final WalletRepository wallets;
    private final WebSessionRepository sessions;
    private final AccountRepository accounts;
    private final Ledger ledger;

    SignInStore(NonceRepository nonces, WalletRepository wallets, WebSessionRepository sessions,
                AccountRepository accounts, Ledger ledger) {
        this.nonces = nonces;
        this.wallets = wallets;
        this.sessions = sessions;
        this.accounts = accounts;
        this.ledger = ledger;
    }

    /** Stores a new nonce unless max-pending unexpired nonces wait already; clears some expired ones first. */
    @Transactional
    void issueNonce(String nonce, Instant now, Instant expiresAt, int maxPending) {
        nonces.deleteExpired(now, EXPIRED_NONCES_DELETED_PER_ISSUE);
        if (nonces.countPending(now) >= maxPending) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.SIGN_IN_RATE_LIMITED,
                    "Too many sign-ins are under way (" + maxPending + " unused nonces); retry in a minute.")
                .withRetryAfter(PENDING_NONCES_FULL_RETRY_SECONDS));
        }
        nonces.insert(nonce, expiresAt, now);
    }

    /**
     * Uses the nonce, finds or creates the wallet's account, and opens a session, all or nothing:
     * a refused nonce leaves no account or session behind, and a session exists only with its
     * nonce gone.
     *
     * @param address lower-case 0x address whose signature was verified
     */
    @Transactional
    SignedIn signIn(String nonce, String address, String tokenHash, Instant now, Instant sessionExpiresAt,
                    long nonceTtlSeconds) {
        useNonce(nonce, now, nonceTtlSeconds);
        boolean created = false;
        Optional<WalletRow> wallet = wallets.findLinked(address);
        long accountId;
        if (wallet.isPresent()) {
            accountId = wallet.get().accountId();
        } else {
            // A wallet no account holds: never seen, or unlinked from the account it had (it never
            // returns there on its own; that account links it again if it wants it back).
            AccountRow account = accounts.save(new AccountRow(null, Keys.toChecksumAddress(address), null));
            // A first sign-in or a link of the same wallet on another connection may be binding it now; this
            // waits for it, and whichever binding is stored wins. A losing account is removed with no trace.
            if (wallets.claim(address, account.id(), now) == 1) {
                created = true;
                accountId = account.id();
                // Idempotent and in its own transaction: if this one rolls back, an unused ledger account remains.
                ledger.ensureAccount(Billing.userAccount(account.id()), AccountFlags.USER);
            } else {
                accounts.deleteById(account.id());
                accountId = wallets.findLinked(address).orElseThrow().accountId();
            }
        }
        WebSessionRow session = sessions.save(new WebSessionRow(null, tokenHash, accountId, address, now,
            sessionExpiresAt, null));
        return new SignedIn(session.id(), accountId, created);
    }

    /**
     * Uses the nonce of a signed message, in the caller's transaction, so the nonce is gone exactly when
     * what the message was for (a session, a link) is stored.
     *
     * @throws ApiError.Exception {@code sign_in_failed} when the nonce expired, was never issued or was used
     */
    @Transactional(propagation = TransactionDefinition.Propagation.MANDATORY)
    void useNonce(String nonce, Instant now, long nonceTtlSeconds) {
        Optional<NonceRow> issued = nonces.findByNonce(nonce);
        if (issued.isPresent() && !issued.get().expiresAt().isAfter(now)) {
            throw failed("The nonce " + nonce + " expired at " + issued.get().expiresAt() + " (nonces last "
                + nonceTtlSeconds + " seconds); request a new one from GET /auth/nonce and sign again.");
        }
        if (issued.isEmpty() || nonces.consume(nonce, now) != 1) {
            throw failed("The nonce " + nonce + " was not issued by this gateway or was already used; request a new "
                + "one from GET /auth/nonce and sign again.");
        }
    }

    /** Marks the session signed out; a session signed out already keeps its first sign-out time. */
    @Transactional
    void signOut(String tokenHash, Instant now) {
        sessions.signOut(tokenHash, now);
    }

    @Transactional(readOnly = true)
    Optional<WebSessionRow> session(String tokenHash) {
        return sessions.findByTokenHash(tokenHash);
    }

    private static ApiError.Exception failed(String message) {
        return new ApiError.Exception(ApiError.of(ErrorCode.SIGN_IN_FAILED, message));
    }

    record SignedIn(long sessionId, long accountId, boolean created) {
    }
}
