package dev.mercato.gateway.signin;

import dev.mercato.gateway.error.ApiError;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Keys;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An account's wallets: the one it signed up with and any more it links by having each sign an
 * EIP-4361 message whose statement names the account. A wallet belongs to at most one account.
 */
@Singleton
class WalletService {

    private static final Logger LOG = LoggerFactory.getLogger(WalletService.class);

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    /** How much of a malformed address a refusal quotes. */
    private static final int QUOTED_CHARS = 80;

    private final SignInService signIn;
    private final WalletStore store;
    private final SignInSettings settings;
    private final Clock clock;

    WalletService(SignInService signIn, WalletStore store, SignInSettings settings, Clock clock) {
        this.signIn = signIn;
        this.store = store;
        this.settings = settings;
        this.clock = clock;
    }

    List<WalletView> list(SessionAuthenticator.Session session) {
        return store.linked(session.accountId()).stream().map(wallet -> view(wallet, session)).toList();
    }

    /**
     * Links the wallet that signed the message to the session's account.
     *
     * @return the wallet, and whether this call linked it (false: it was linked to this account already)
     */
    Linked link(SessionAuthenticator.Session session, @Nullable String message, @Nullable String signature,
                String clientIp) {
        SiweMessage siwe = signIn.verify(message, signature, clientIp,
            new SignInService.Purpose.LinkWallet(session.accountId()));
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        WalletStore.Linked linked = store.link(session.accountId(), siwe.address().toLowerCase(Locale.ROOT),
            siwe.nonce(), now, settings.nonceTtl().toSeconds(), settings.maxWalletsPerAccount());
        if (linked.created()) {
            LOG.info("Account {} linked wallet {}", session.accountId(), siwe.address());
        }
        return new Linked(view(linked.wallet(), session), linked.created());
    }

    /** Unlinks a wallet of the session's account other than the one the session signed in with. */
    void unlink(SessionAuthenticator.Session session, String address) {
        if (!ADDRESS.matcher(address).matches()) {
            String quoted = address.length() > QUOTED_CHARS ? address.substring(0, QUOTED_CHARS) + "…" : address;
            throw new ApiError.Exception(ApiError.invalidParam("address",
                "A wallet address is 0x and 40 hex digits; found '" + quoted + "'."));
        }
        String lowerCase = address.toLowerCase(Locale.ROOT);
        int endedSessions = store.unlink(session.accountId(), lowerCase, session.address().toLowerCase(Locale.ROOT),
            clock.instant().truncatedTo(ChronoUnit.MILLIS));
        LOG.info("Account {} unlinked wallet {} and ended the {} sessions it had opened", session.accountId(),
            Keys.toChecksumAddress(lowerCase), endedSessions);
    }

    private static WalletView view(WalletRow wallet, SessionAuthenticator.Session session) {
        String address = Keys.toChecksumAddress(wallet.address());
        return new WalletView(address, wallet.linkedAt().toString(), address.equals(session.address()));
    }

    record Linked(WalletView wallet, boolean created) {
    }

    /**
     * A wallet of the account.
     *
     * @param address  EIP-55 checksum case
     * @param linkedAt RFC 3339
     * @param current  whether this session signed in with it
     */
    @Serdeable
    public record WalletView(String address, String linkedAt, boolean current) {
    }
}
