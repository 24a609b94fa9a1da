package dev.mercato.gateway.payouts;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The key payouts are signed with: hex in {@code mercato.payouts.hot-wallet-key} (from the
 * environment: MERCATO_PAYOUTS_HOT_WALLET_KEY) or in the file {@code hot-wallet-key-file} (a
 * mounted secret), which must not be readable by group or others. The key stays in this object:
 * it is never logged, never in an exception message, and nothing outside signs with it. Without a
 * key, payouts are off.
 */
@Singleton
public class HotWallet {

    private static final Pattern HEX_KEY = Pattern.compile("(0x)?[0-9a-fA-F]{64}");
    /** A key file is one line; anything longer is not a key file. */
    private static final long MAX_KEY_FILE_BYTES = 1024;

    private final Credentials credentials;

    HotWallet(@Value("${mercato.payouts.hot-wallet-key:}") String hexKey,
              @Value("${mercato.payouts.hot-wallet-key-file:}") String keyFile) {
        if (!hexKey.isBlank() && !keyFile.isBlank()) {
            throw new IllegalArgumentException("mercato.payouts: set hot-wallet-key or hot-wallet-key-file, not both");
        }
        String key = keyFile.isBlank() ? hexKey.trim() : readKeyFile(Path.of(keyFile));
        if (key.isEmpty()) {
            this.credentials = null;
            return;
        }
        if (!HEX_KEY.matcher(key).matches()) {
            // The value itself is not repeated: it may be a key with a typo.
            throw new IllegalArgumentException("mercato.payouts." + (keyFile.isBlank() ? "hot-wallet-key" : "hot-wallet-key-file")
                + " must hold a private key: 64 hex digits, 0x optional");
        }
        this.credentials = Credentials.create(key);
    }

    private static String readKeyFile(Path file) {
        try {
            if (Files.size(file) > MAX_KEY_FILE_BYTES) {
                throw new IllegalArgumentException("mercato.payouts.hot-wallet-key-file " + file + " is larger than "
                    + MAX_KEY_FILE_BYTES + " bytes; it must hold one private key in hex");
            }
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.stream().anyMatch(permission -> permission.name().startsWith("GROUP")
                || permission.name().startsWith("OTHERS"))) {
                throw new IllegalArgumentException("mercato.payouts.hot-wallet-key-file " + file + " is readable by "
                    + "others (" + PosixFilePermissions.toString(permissions) + "); chmod 600 it");
            }
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException("mercato.payouts.hot-wallet-key-file: cannot read " + file + ": " + e);
        }
    }

    /** The hot wallet's lower-case address, when a key is configured. */
    public Optional<String> address() {
        return Optional.ofNullable(credentials).map(c -> c.getAddress().toLowerCase(Locale.ROOT));
    }

    /** Signs {@code transaction} for {@code chainId} (EIP-155) and answers the signed bytes as 0x hex. */
    String sign(RawTransaction transaction, long chainId) {
        if (credentials == null) {
            throw new IllegalStateException("payouts are off: no hot wallet key is configured");
        }
        return Numeric.toHexString(TransactionEncoder.signMessage(transaction, chainId, credentials));
    }

    @Override
    public String toString() {
        return "HotWallet[" + address().orElse("none") + "]";
    }
}
