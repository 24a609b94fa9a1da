package dev.mercato.gateway.signin;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.cookie.Cookie;
import jakarta.inject.Singleton;
import org.web3j.crypto.Keys;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Finds the dashboard session of a request by its {@code mercato_session} cookie. Reads the
 * database, so call it on the blocking executor.
 */
@Singleton
public class SessionAuthenticator {

    static final String COOKIE_NAME = "mercato_session";
    /** Marks a session secret, so one pasted where an API key belongs (or the reverse) is told apart at once. */
    static final String SECRET_PREFIX = "msess_";

    private final SignInStore store;
    private final Clock clock;
    private final Duration sessionTtl;

    SessionAuthenticator(SignInStore store, Clock clock, SignInSettings settings) {
        this.store = store;
        this.clock = clock;
        this.sessionTtl = settings.sessionTtl();
    }

    /**
     * The request's session.
     *
     * @throws ApiError.Exception {@code session_expired} when the cookie is missing, unknown, signed out,
     *                            or its session is older than mercato.sign-in.session-ttl
     */
    public Session require(HttpRequest<?> request) {
        Optional<String> secret = request.getCookies().findCookie(COOKIE_NAME).map(Cookie::getValue);
        if (secret.isEmpty() || !Secrets.looksLike(secret.get(), SECRET_PREFIX)) {
            throw expired();
        }
        WebSessionRow row = store.session(Secrets.hash(secret.get())).orElseThrow(SessionAuthenticator::expired);
        Instant expiresAt = expiresAt(row);
        if (row.signedOutAt() != null || !clock.instant().isBefore(expiresAt)) {
            throw expired();
        }
        return new Session(row.id(), row.accountId(), Keys.toChecksumAddress(row.address()), expiresAt);
    }

    /**
     * The earlier of the expiry promised at sign-in and creation plus the ttl now configured, so
     * shortening session-ttl shortens sessions already open.
     */
    private Instant expiresAt(WebSessionRow row) {
        Instant byTtl = row.createdAt().plus(sessionTtl);
        return byTtl.isBefore(row.expiresAt()) ? byTtl : row.expiresAt();
    }

    private static ApiError.Exception expired() {
        return new ApiError.Exception(ApiError.of(ErrorCode.SESSION_EXPIRED,
            "Your session has expired or you are signed out; sign in again with your wallet."));
    }

    /**
     * A signed-in dashboard user.
     *
     * @param address the wallet that signed in, in EIP-55 checksum case
     */
    public record Session(long sessionId, long accountId, String address, Instant expiresAt) {
    }
}
