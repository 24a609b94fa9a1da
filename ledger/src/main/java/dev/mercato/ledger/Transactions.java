package dev.mercato.ledger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a unit of ledger work in one database transaction, retrying a bounded number of times
 * with jittered backoff when PostgreSQL reports a serialization failure or a deadlock, or a
 * batch met a concurrent write of one of its ids ({@link BatchConflict}).
 */
final class Transactions {

    /** Attempts per unit of work, the first included, before a serialization or deadlock error is given up on. */
    static final int MAX_ATTEMPTS = 8;

    /** The first retry waits up to this long; each further retry doubles it up to {@link #MAX_BACKOFF_MILLIS}. */
    static final long FIRST_BACKOFF_MILLIS = 2;

    static final long MAX_BACKOFF_MILLIS = 200;

    private static final String SERIALIZATION_FAILURE = "40001";
    private static final String DEADLOCK_DETECTED = "40P01";

    /** One transaction's work; may throw the ledger's own refusals, which roll back and are not retried. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Work that may guess on its first attempt ({@code firstAttempt}) and must be careful on any later one. */
    @FunctionalInterface
    interface GuessingWork<T> {
        T run(Connection connection, boolean firstAttempt) throws SQLException;
    }

    private final DataSource dataSource;
    private final AtomicLong missedGuesses = new AtomicLong();

    Transactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    <T> T run(String what, Work<T> work) {
        return run(what, (GuessingWork<T>) (connection, firstAttempt) -> work.run(connection));
    }

    <T> T run(String what, GuessingWork<T> work) {
        for (int attempt = 1; ; attempt++) {
            boolean firstAttempt = attempt == 1;
            try {
                return once(connection -> work.run(connection, firstAttempt));
            } catch (SQLException e) {
                if (!isRetryable(e) || attempt == MAX_ATTEMPTS) {
                    throw new LedgerFailure(what + " failed after " + attempt + " attempt(s): " + e.getMessage(), e);
                }
                backOff(attempt);
            } catch (BatchConflict e) {
                if (attempt == MAX_ATTEMPTS) {
                    throw new LedgerFailure(what + " failed after " + attempt + " attempt(s): " + e.getMessage(), e);
                }
                if (e.missedGuess()) {
                    missedGuesses.incrementAndGet();
                } else {
                    backOff(attempt);
                }
            }
        }
    }

    /** Guesses that missed and were done again the careful way, since start. */
    long missedGuesses() {
        return missedGuesses.get();
    }

    private <T> T once(Work<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollBackQuietly(connection, e);
                throw e;
            }
        }
    }

    private static void rollBackQuietly(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            // The connection is already broken; the server rolls the transaction back on its own.
            cause.addSuppressed(rollbackFailure);
        }
    }

    static boolean isRetryable(SQLException failure) {
        for (Throwable e = failure; e != null; e = e.getCause()) {
            if (e instanceof SQLException sql) {
                for (SQLException next = sql; next != null; next = next.getNextException()) {
                    String state = next.getSQLState();
                    if (SERIALIZATION_FAILURE.equals(state) || DEADLOCK_DETECTED.equals(state)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static void backOff(int failedAttempt) {
        long ceilingMillis = Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(failedAttempt - 1, 16));
        // Full jitter, so transactions that collided once do not collide again in step.
        long sleepMillis = ThreadLocalRandom.current().nextLong(ceilingMillis + 1);
        try {
            Thread.sleep(sleepMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerFailure("interrupted while waiting to retry", e);
        }
    }
}
