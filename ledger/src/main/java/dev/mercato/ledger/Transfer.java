package dev.mercato.ledger;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One row of {@code ledger_transfer}: immutable, one debit account, one credit account, one
 * positive amount. A post or void names its pending transfer in {@code pendingId}.
 */
record Transfer(UUID id, Account debit, Account credit, long amountNano, String code, Phase phase,
                UUID pendingId, Instant expiresAt, String userData) {

    enum Phase {
        SINGLE("single"), PENDING("pending"), POST("post"), VOID("void");

        final String sql;

        Phase(String sql) {
            this.sql = sql;
        }

        static Phase ofSql(String sql) {
            for (Phase phase : values()) {
                if (phase.sql.equals(sql)) {
                    return phase;
                }
            }
            throw new IllegalStateException("unknown transfer phase in the database: " + sql);
        }
    }

    /** A counter change on one side of one transfer. */
    record Move(UUID transferId, Account account, Account.Side side, Counters change) {
    }

    /**
     * What this transfer does to its two accounts' counters. {@code heldNano} is the amount of the
     * pending transfer a post or void resolves (the whole hold leaves pending; a post moves its
     * own amount to posted); it is ignored for single and pending transfers.
     */
    List<Move> moves(long heldNano) {
        long pendingChange = switch (phase) {
            case SINGLE -> 0;
            case PENDING -> amountNano;
            case POST, VOID -> -heldNano;
        };
        long postedChange = switch (phase) {
            case SINGLE, POST -> amountNano;
            case PENDING, VOID -> 0;
        };
        return List.of(
            new Move(id, debit, Account.Side.DEBIT, new Counters(pendingChange, postedChange, 0, 0)),
            new Move(id, credit, Account.Side.CREDIT, new Counters(0, 0, pendingChange, postedChange)));
    }

    /** The first field that differs from {@code other}, for a conflict message; null when they are the same transfer. */
    String firstDifference(Transfer other) {
        if (debit.id() != other.debit.id()) {
            return "debit account (" + other.debit.key() + ", not " + debit.key() + ")";
        }
        if (credit.id() != other.credit.id()) {
            return "credit account (" + other.credit.key() + ", not " + credit.key() + ")";
        }
        if (amountNano != other.amountNano) {
            return "amount (" + other.amountNano + " nano, not " + amountNano + ")";
        }
        if (!code.equals(other.code)) {
            return "code (" + other.code + ", not " + code + ")";
        }
        if (phase != other.phase) {
            return "phase (" + other.phase.sql + ", not " + phase.sql + ")";
        }
        if (!Objects.equals(pendingId, other.pendingId)) {
            return "pending transfer (" + other.pendingId + ", not " + pendingId + ")";
        }
        if (!Objects.equals(expiresAt, other.expiresAt)) {
            return "expiry (" + other.expiresAt + ", not " + expiresAt + ")";
        }
        if (!Objects.equals(userData, other.userData)) {
            return "user data";
        }
        return null;
    }
}
