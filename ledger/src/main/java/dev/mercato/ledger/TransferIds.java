package dev.mercato.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.UUID;

/**
 * Deterministic transfer ids (UUIDv5, RFC 9562) derived from what a transfer is about, so a retry
 * or a duplicate delivery names the same transfer and becomes a no-op.
 */
public final class TransferIds {

    /** The UUIDv5 namespace of every Mercato ledger id; changing it would orphan every stored id. */
    static final UUID MERCATO_LEDGER_NAMESPACE = UUID.fromString("9c3b6f2e-5a41-4d8e-b7f0-2e6a1c4d8b93");

    /** Bounds the hashed name, so an id is never derived from an unbounded input. */
    static final int MAX_NAME_BYTES = 4096;

    private TransferIds() {
    }

    /**
     * The id of the transfer named by {@code namespace} and {@code parts}, e.g.
     * {@code of("deposit", "31337", txHash, "7")}. Each piece is length-prefixed, so
     * ("a", "bc") and ("ab", "c") name different transfers.
     */
    public static UUID of(String namespace, String... parts) {
        Objects.requireNonNull(namespace, "namespace");
        ByteBuffer name = ByteBuffer.allocate(MAX_NAME_BYTES);
        try {
            putLengthPrefixed(name, namespace);
            for (String part : parts) {
                putLengthPrefixed(name, Objects.requireNonNull(part, "a part of a transfer id"));
            }
        } catch (java.nio.BufferOverflowException e) {
            throw new IllegalArgumentException("a transfer id's name is longer than " + MAX_NAME_BYTES + " bytes", e);
        }
        byte[] bytes = new byte[name.position()];
        name.flip().get(bytes);
        return nameBased(MERCATO_LEDGER_NAMESPACE, bytes);
    }

    /** RFC 9562 version 5: SHA-1 of the namespace's 16 bytes followed by the name. */
    static UUID nameBased(UUID namespace, byte[] name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-1", e);
        }
        sha1.update(ByteBuffer.allocate(16)
            .putLong(namespace.getMostSignificantBits())
            .putLong(namespace.getLeastSignificantBits())
            .array());
        byte[] hash = sha1.digest(name);
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
        ByteBuffer bits = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(bits.getLong(), bits.getLong());
    }

    private static void putLengthPrefixed(ByteBuffer name, String piece) {
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        name.putInt(utf8.length).put(utf8);
    }
}
