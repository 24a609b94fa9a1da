package dev.mercato.gateway.chain;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;

/**
 * Work on a chain that one gateway at a time does (a deposit scan pass, a payout step), under a
 * PostgreSQL advisory lock named by the kind of work and the chain. The lock lives in a
 * transaction of its own connection, so the work's own writes commit as they go, and it ends
 * with the work, or with the connection should the process die.
 */
public final class ChainLock {

    /** A unit of work done while holding the lock. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    /** The first key of the two-key advisory lock: which kind of work. */
    public enum Kind {
        DEPOSIT_SCAN(0x6d646570), // "mdep"
        PAYOUTS(0x6d706179);      // "mpay"

        private final int lockClass;

        Kind(int lockClass) {
            this.lockClass = lockClass;
        }
    }

    private ChainLock() {
    }

    /**
     * Runs {@code work} holding the lock of ({@code kind}, {@code chainId}), or answers empty at
     * once, having run nothing, when another holds it (on this gateway or another).
     *
     * @return the work's result, or empty when the lock was taken; a work that answers null also answers empty
     */
    public static <T> Optional<T> tryWith(DataSource dataSource, Kind kind, long chainId, Work<T> work) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement lock = connection.prepareStatement("select pg_try_advisory_xact_lock(?, ?)")) {
                    lock.setInt(1, kind.lockClass);
                    lock.setInt(2, Long.hashCode(chainId));
                    try (ResultSet row = lock.executeQuery()) {
                        row.next();
                        if (!row.getBoolean(1)) {
                            return Optional.empty();
                        }
                    }
                }
                return Optional.ofNullable(work.run());
            } finally {
                connection.rollback(); // the transaction wrote nothing; ending it releases the lock
            }
        }
    }
}
