package dev.mercato.gateway.signin;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.limits.Limiter;
import dev.mercato.gateway.limits.WindowDecision;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Keys;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Sign-In with Ethereum: hands out nonces, and turns a signed EIP-4361 message into a
 * session. The checks run cheapest first, and the nonce is used only once the signature is
 * known to be good, so a stranger's bad signature cannot burn someone's nonce.
 */
@Singleton
class SignInService {

    private static final Logger LOG = LoggerFactory.getLogger(SignInService.class);

    /** How far a wallet's clock may run ahead of the gateway's when it writes Issued At. */
    static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);
    /** 22 base-62 characters: 131 random bits, alphanumeric as EIP-4361 requires of a nonce. */
    static final int NONCE_CHARS = 22;
    private static final char[] NONCE_ALPHABET =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();

    private final SignInSettings settings;
    private final SignInStore store;
    private final Limiter limiter;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    SignInService(SignInSettings settings, SignInStore store, Limiter limiter, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.limiter = limiter;
        this.clock = clock;
    }

    /** A fresh nonce for a sign-in message, limited per IP so that nobody fills the nonce table. */
    IssuedNonce issueNonce(String clientIp) {
        WindowDecision decision = limiter.tryRequest("nonce-ip:" + clientIp, settings.noncesPerMinutePerIp());
        if (!decision.admitted()) {
            throw limited("Too many sign-in nonces were requested from this IP (limit "
                + settings.noncesPerMinutePerIp() + " a minute); retry in " + decision.retryAfterSeconds()
                + " seconds.", decision);
        }
        Instant now = now();
        Instant expiresAt = now.plus(settings.nonceTtl());
        String nonce = newNonce();
        store.issueNonce(nonce, now, expiresAt, settings.maxPendingNonces());
        return new IssuedNonce(nonce, expiresAt);
    }

    /**
     * Checks the message and its signature and opens a session for the wallet, creating its
     * account at its first sign-in.
     *
     * @param sessionSecret the cookie secret of the new session; only its hash is stored
     */
    SignedIn signIn(String message, String signature, String clientIp, String sessionSecret) {
        SiweMessage siwe = verify(message, signature, clientIp, new Purpose.SignIn());
        String address = siwe.address().toLowerCase(Locale.ROOT);
        Instant now = now();
        Instant expiresAt = now.plus(settings.sessionTtl());
        SignInStore.SignedIn signedIn = store.signIn(siwe.nonce(), address, Secrets.hash(sessionSecret), now, expiresAt,
            settings.nonceTtl().toSeconds());
        if (signedIn.created()) {
            LOG.info("Created account {} for wallet {} at its first sign-in", signedIn.accountId(), siwe.address());
        }
        LOG.info("Account {} signed in with wallet {} (session {}, until {})", signedIn.accountId(), siwe.address(),
            signedIn.sessionId(), expiresAt);
        return new SignedIn(signedIn.accountId(), siwe.address(), expiresAt, signedIn.created());
    }

    /**
     * Everything about a signed message that needs no database: attempt limits, the text, its scope,
     * its statement for the purpose, its times, and that the named wallet signed it. The nonce is
     * left for the transaction that stores what the message was for.
     *
     * @throws ApiError.Exception {@code invalid_request} for a malformed message or signature,
     *                            {@code sign_in_failed} naming the check that failed, {@code sign_in_rate_limited}
     */
    SiweMessage verify(String message, String signature, String clientIp, Purpose purpose) {
        WindowDecision perIp = limiter.tryRequest("sign-in-ip:" + clientIp, settings.attemptsPerMinutePerIp());
        if (!perIp.admitted()) {
            throw limited("Too many sign-in attempts from this IP (limit " + settings.attemptsPerMinutePerIp()
                + " a minute); retry in " + perIp.retryAfterSeconds() + " seconds.", perIp);
        }
        SiweMessage siwe = SiweMessage.parse(message);
        String address = siwe.address().toLowerCase(Locale.ROOT);
        WindowDecision perAddress = limiter.tryRequest("sign-in-address:" + address,
            settings.attemptsPerMinutePerAddress());
        if (!perAddress.admitted()) {
            throw limited("Too many sign-in attempts for wallet " + siwe.address() + " (limit "
                + settings.attemptsPerMinutePerAddress() + " a minute); retry in " + perAddress.retryAfterSeconds()
                + " seconds.", perAddress);
        }
        checkScope(siwe);
        checkStatement(siwe, purpose);
        checkTimes(siwe, now());
        String signer = PersonalSignature.recoverAddress(message, signature);
        if (!signer.equals(address)) {
            throw failed("The signature was made by " + Keys.toChecksumAddress(signer) + ", not by the message's address "
                + siwe.address() + "; sign with the wallet the message names.");
        }
        return siwe;
    }

    /** Ends the session of this cookie secret; signing out twice, or without a session, does nothing. */
    void signOut(String sessionSecret) {
        if (Secrets.looksLike(sessionSecret, SessionAuthenticator.SECRET_PREFIX)) {
            store.signOut(Secrets.hash(sessionSecret), now());
        }
    }

    /** The message must be meant for this gateway: its domain, origin, version and chain. */
    private void checkScope(SiweMessage siwe) {
        if (!siwe.domain().equals(settings.domain())) {
            throw failed("The message is for domain '" + siwe.domain() + "', but this gateway signs in for '"
                + settings.domain() + "'.");
        }
        if (siwe.scheme() != null && !siwe.scheme().equals(settings.scheme())) {
            throw failed("The message names scheme '" + siwe.scheme() + "', but this gateway signs in over '"
                + settings.scheme() + "'.");
        }
        // The URI must be the configured one exactly: a prefix match would let a message signed for
        // another page or origin that merely starts the same way sign in here.
        if (!siwe.uri().equals(settings.uri())) {
            throw failed("The message's URI is '" + siwe.uri() + "', but this gateway signs in at '" + settings.uri()
                + "'.");
        }
        if (!siwe.version().equals("1")) {
            throw failed("The message has Version " + siwe.version() + "; this gateway accepts EIP-4361 Version 1 only.");
        }
        if (siwe.chainId() != settings.chainId()) {
            throw failed("The message is for chain ID " + siwe.chainId() + ", but this gateway signs in on chain ID "
                + settings.chainId() + ".");
        }
    }

    /**
     * A link's statement names its account, and a sign-in's may be anything else, so a signature made to
     * sign in never links a wallet, one made to link never signs in, and one made for account A never
     * links to account B.
     */
    private static void checkStatement(SiweMessage siwe, Purpose purpose) {
        OptionalLong linksTo = LinkStatement.accountOf(siwe.statement());
        switch (purpose) {
            case Purpose.SignIn _ -> {
                if (linksTo.isPresent()) {
                    throw failed("The message links a wallet to account " + linksTo.getAsLong()
                        + " and cannot sign in; sign a sign-in message instead.");
                }
            }
            case Purpose.LinkWallet link -> {
                String expected = LinkStatement.forAccount(link.accountId());
                if (linksTo.isPresent() && linksTo.getAsLong() != link.accountId()) {
                    throw failed("The message links the wallet to account " + linksTo.getAsLong()
                        + ", but this session is signed in to account " + link.accountId() + "; sign the statement '"
                        + expected + "'.");
                }
                if (!expected.equals(siwe.statement())) {
                    throw failed("A message that links a wallet must have the statement '" + expected + "'; it has "
                        + (siwe.statement() == null ? "none" : "'" + siwe.statement() + "'") + ".");
                }
            }
        }
    }

    private void checkTimes(SiweMessage siwe, Instant now) {
        if (siwe.issuedAt().isAfter(now.plus(MAX_CLOCK_SKEW))) {
            throw failed("The message's Issued At (" + siwe.issuedAt() + ") is "
                + Duration.between(now, siwe.issuedAt()).toSeconds() + " seconds in the future (at most "
                + MAX_CLOCK_SKEW.toSeconds() + " are allowed); check the device's clock.");
        }
        if (siwe.issuedAt().isBefore(now.minus(settings.nonceTtl()))) {
            throw failed("The message was issued at " + siwe.issuedAt() + ", more than the nonce lifetime of "
                + settings.nonceTtl().toSeconds() + " seconds ago; request a new nonce and sign again.");
        }
        if (siwe.expirationTime() != null && !siwe.expirationTime().isAfter(now)) {
            throw failed("The message expired at " + siwe.expirationTime() + "; sign a new one.");
        }
        if (siwe.notBefore() != null && siwe.notBefore().isAfter(now)) {
            throw failed("The message is not valid before " + siwe.notBefore() + "; retry then.");
        }
    }

    private String newNonce() {
        char[] nonce = new char[NONCE_CHARS];
        for (int i = 0; i < nonce.length; i++) {
            nonce[i] = NONCE_ALPHABET[random.nextInt(NONCE_ALPHABET.length)];
        }
        return new String(nonce);
    }

    /** Milliseconds, which the database keeps exactly, so a time written and read back is the same. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static ApiError.Exception failed(String message) {
        return new ApiError.Exception(ApiError.of(ErrorCode.SIGN_IN_FAILED, message));
    }

    private static ApiError.Exception limited(String message, WindowDecision decision) {
        return new ApiError.Exception(ApiError.of(ErrorCode.SIGN_IN_RATE_LIMITED, message)
            .withRetryAfter(decision.retryAfterSeconds()));
    }

    /** What a signed message is meant to do, which its statement must agree with. */
    sealed interface Purpose {
        /** Open a session for the wallet. */
        record SignIn() implements Purpose {
        }

        /** Link the wallet to this account. */
        record LinkWallet(long accountId) implements Purpose {
        }
    }

    record IssuedNonce(String nonce, Instant expiresAt) {
    }

    /** @param address the wallet in EIP-55 checksum case */
    record SignedIn(long accountId, String address, Instant expiresAt, boolean created) {
    }
}
