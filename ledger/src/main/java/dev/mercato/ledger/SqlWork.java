package dev.mercato.ledger;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The caller's own statements, run on the ledger's connection inside the ledger's transaction
 * (see {@link Ledger#transferAll} and {@link Ledger#reserve(HoldRequest, SqlWork)}), so they
 * commit or roll back with the ledger's writes. It may run more than once (the transaction is
 * retried on serialization failures and deadlocks), so it must do the same thing each time; it
 * must not commit, roll back or close the connection.
 */
@FunctionalInterface
public interface SqlWork {

    void run(Connection connection) throws SQLException;
}
