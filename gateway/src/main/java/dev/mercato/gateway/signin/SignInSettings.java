package dev.mercato.gateway.signin;

import io.micronaut.context.annotation.ConfigurationProperties;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * Sign-In with Ethereum (application.yml: mercato.sign-in): what a message must name to sign
 * in here, how long nonces and sessions last, how many attempts one IP and one wallet get, and
 * how many wallets one account may link.
 */
@ConfigurationProperties("mercato.sign-in")
public record SignInSettings(String domain, String uri, long chainId, Duration nonceTtl, Duration sessionTtl,
                             int attemptsPerMinutePerIp, int attemptsPerMinutePerAddress, int noncesPerMinutePerIp,
                             int maxPendingNonces, int maxWalletsPerAccount) {

    public SignInSettings {
        if (domain == null || domain.isBlank()) {
            throw new IllegalArgumentException("mercato.sign-in.domain must name the dashboard's host (and port)");
        }
        if (!isAbsoluteUri(uri)) {
            throw new IllegalArgumentException("mercato.sign-in.uri must be an absolute URI, was '" + uri + "'");
        }
        requirePositive("chain-id", chainId);
        requirePositive("nonce-ttl", nonceTtl == null ? 0 : nonceTtl.toMillis());
        requirePositive("session-ttl", sessionTtl == null ? 0 : sessionTtl.toSeconds());
        requirePositive("attempts-per-minute-per-ip", attemptsPerMinutePerIp);
        requirePositive("attempts-per-minute-per-address", attemptsPerMinutePerAddress);
        requirePositive("nonces-per-minute-per-ip", noncesPerMinutePerIp);
        requirePositive("max-pending-nonces", maxPendingNonces);
        requirePositive("max-wallets-per-account", maxWalletsPerAccount);
    }

    /** The origin's scheme, which a message that names a scheme must name. */
    String scheme() {
        return URI.create(uri).getScheme();
    }

    private static boolean isAbsoluteUri(String value) {
        try {
            return value != null && new URI(value).isAbsolute();
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static void requirePositive(String setting, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("mercato.sign-in." + setting + " must be positive, was " + value);
        }
    }
}
