package dev.mercato.gateway.deposits;

import dev.mercato.gateway.chain.BlockRef;
import dev.mercato.gateway.chain.TransferLog;

import dev.mercato.gateway.chain.TransferLog.DepositKey;
import dev.mercato.gateway.chain.ChainLock;
import dev.mercato.gateway.chain.ChainSettings;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import jakarta.inject.Singleton;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The deposit tables ({@code chain_scan}, {@code deposit}) in plain SQL. Writes that go with
 * ledger transfers take the ledger's connection, so they commit in the ledger's transaction.
 */
@Singleton
class DepositStore {

    /** A write that found the row other than it was read: another pass or another gateway got there first. */
    static final class Raced extends IllegalStateException {
        Raced(String message) {
            super(message);
        }
    }

    /** A final deposit to write: credited to {@code accountId}, or to the review queue when it is null. */
    record Booking(TransferLog log, Long accountId, long amountUnits, long amountNano) {
    }

    /** A deposit in a block not yet final, from a wallet of {@code accountId} if it is registered. */
    record Sighting(TransferLog log, Long accountId, long amountUnits) {
    }

    /** A chain's scan cursor and what the chain reported at the last pass. */
    record ChainScan(long chainId, long nextBlock, Long lastBlockNumber, String lastBlockHash, Long finalizedBlock,
                     Long latestBlock, Instant haltedAt, String haltReason, Instant updatedAt) {

        boolean halted() {
            return haltedAt != null;
        }
    }

    /** One deposit row, with the chain's latest block as last seen (for confirmations). */
    record DepositRow(long id, long chainId, String txHash, int logIndex, long blockNumber, String fromAddress,
                      long amountUnits, long amountNano, Long accountId, String status, Instant seenAt,
                      Instant creditedAt, Instant assignedAt, String assignedBy, Long latestBlock) {
    }

    private static final String DEPOSIT_COLUMNS = """
        d.id, d.chain_id, d.tx_hash, d.log_index, d.block_number, d.from_address, d.amount_units, d.amount_nano,
        d.account_id, d.status, d.seen_at, d.credited_at, d.assigned_at, d.assigned_by, c.latest_block
        from deposit d left join chain_scan c on c.chain_id = d.chain_id""";
    private static final String CHAIN_COLUMNS = """
        chain_id, next_block, last_block_number, last_block_hash, finalized_block, latest_block, halted_at,
        halt_reason, updated_at from chain_scan""";

    private final DataSource dataSource;

    DepositStore(DataSource dataSource) {
        // Plain JDBC on the pool: each read here is one statement, and writes run in the ledger's transactions.
        this.dataSource = DelegatingDataSource.unwrapDataSource(dataSource);
    }

    /** Runs {@code work} holding the chain's scan lock, or answers empty when another gateway's scanner holds it. */
    <T> Optional<T> withScanLock(long chainId, ChainLock.Work<T> work) throws Exception {
        return ChainLock.tryWith(dataSource, ChainLock.Kind.DEPOSIT_SCAN, chainId, work);
    }

    /** The chain's cursor, created at {@code startBlock} on its first scan. */
    ChainScan chain(long chainId, long startBlock, Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement insert = connection.prepareStatement("""
                    insert into chain_scan (chain_id, next_block, updated_at) values (?, ?, ?)
                    on conflict (chain_id) do nothing""")) {
                insert.setLong(1, chainId);
                insert.setLong(2, startBlock);
                insert.setTimestamp(3, Timestamp.from(now));
                insert.executeUpdate();
            }
            return findChain(connection, chainId).orElseThrow();
        }
    }

    Optional<ChainScan> findChain(long chainId) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return findChain(connection, chainId);
        }
    }

    private static Optional<ChainScan> findChain(Connection connection, long chainId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("select " + CHAIN_COLUMNS + " where chain_id = ?")) {
            select.setLong(1, chainId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(chainScan(row)) : Optional.empty();
            }
        }
    }

    /** The statuses of those of {@code keys} already booked (credited, in review or assigned); pending ones are absent. */
    Map<DepositKey, String> bookedStatuses(long chainId, Collection<DepositKey> keys) throws SQLException {
        Map<DepositKey, String> booked = new HashMap<>();
        if (keys.isEmpty()) {
            return booked;
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("""
                 select d.tx_hash, d.log_index, d.status
                 from deposit d join unnest(?::text[], ?::int[]) as k(tx_hash, log_index)
                   on k.tx_hash = d.tx_hash and k.log_index = d.log_index
                 where d.chain_id = ? and d.status <> 'pending'""")) {
            select.setArray(1, connection.createArrayOf("text", keys.stream().map(DepositKey::txHash).toArray()));
            select.setArray(2, connection.createArrayOf("integer", keys.stream().map(DepositKey::logIndex).toArray()));
            select.setLong(3, chainId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    booked.put(new DepositKey(rows.getString(1), rows.getInt(2)), rows.getString(3));
                }
            }
        }
        return booked;
    }

    /** The accounts of those of {@code addresses} (lower-case 0x) that are registered wallets. */
    Map<String, Long> accountsOf(Collection<String> addresses) throws SQLException {
        Map<String, Long> accounts = new HashMap<>();
        if (addresses.isEmpty()) {
            return accounts;
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select address, account_id from wallet where address = any (?) and unlinked_at is null")) {
            select.setArray(1, connection.createArrayOf("text", addresses.stream().distinct().toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    accounts.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        return accounts;
    }

    /**
     * Moves the cursor past {@code last} if it still stands at {@code expectedNextBlock} and the
     * chain is not halted; in the ledger's transaction, so the credits of the range commit with it.
     *
     * @throws Raced if another pass moved the cursor, or the chain was halted, meanwhile
     */
    void advance(Connection connection, long chainId, long expectedNextBlock, BlockRef last, long finalizedBlock,
                 long latestBlock, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                update chain_scan set next_block = ?, last_block_number = ?, last_block_hash = ?, finalized_block = ?,
                                      latest_block = ?, updated_at = ?
                where chain_id = ? and next_block = ? and halted_at is null""")) {
            update.setLong(1, last.number() + 1);
            update.setLong(2, last.number());
            update.setString(3, last.hash());
            update.setLong(4, finalizedBlock);
            update.setLong(5, latestBlock);
            update.setTimestamp(6, Timestamp.from(now));
            update.setLong(7, chainId);
            update.setLong(8, expectedNextBlock);
            if (update.executeUpdate() != 1) {
                throw new Raced("the scan of chain " + chainId + " is no longer at block " + expectedNextBlock
                    + " or was halted");
            }
        }
    }

    /** Binds the first nine columns both deposit upserts share, in the order of their column lists. */
    private static void bindDeposit(PreparedStatement upsert, long chainId, TransferLog log, long amountUnits,
                                    long amountNano, Long accountId) throws SQLException {
        upsert.setLong(1, chainId);
        upsert.setString(2, log.txHash());
        upsert.setInt(3, log.logIndex());
        upsert.setLong(4, log.blockNumber());
        upsert.setString(5, log.blockHash());
        upsert.setString(6, log.fromAddress());
        upsert.setLong(7, amountUnits);
        upsert.setLong(8, amountNano);
        upsert.setObject(9, accountId);
    }

    /**
     * Writes final deposits: a new row, or a pending row made final (its block as it is now).
     *
     * @throws Raced if one of them was booked meanwhile
     */
    void book(Connection connection, long chainId, List<Booking> bookings, Instant now) throws SQLException {
        if (bookings.isEmpty()) {
            return;
        }
        try (PreparedStatement upsert = connection.prepareStatement("""
                insert into deposit (chain_id, tx_hash, log_index, block_number, block_hash, from_address, amount_units,
                                     amount_nano, account_id, status, seen_at, credited_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict (chain_id, tx_hash, log_index) do update
                    set block_number = excluded.block_number, block_hash = excluded.block_hash,
                        from_address = excluded.from_address, amount_units = excluded.amount_units,
                        amount_nano = excluded.amount_nano, account_id = excluded.account_id, status = excluded.status,
                        credited_at = excluded.credited_at
                    where deposit.status = 'pending'""")) {
            for (Booking booking : bookings) {
                bindDeposit(upsert, chainId, booking.log(), booking.amountUnits(), booking.amountNano(),
                    booking.accountId());
                upsert.setString(10, booking.accountId() == null ? "review" : "credited");
                upsert.setTimestamp(11, Timestamp.from(now));
                upsert.setTimestamp(12, Timestamp.from(now));
                upsert.addBatch();
            }
            int[] counts = upsert.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] != 1) {
                    throw new Raced("deposit " + bookings.get(i).log().key() + " on chain " + chainId + " was booked meanwhile");
                }
            }
        }
    }

    /** Removes pending deposits of blocks [from, to] that a final scan of those blocks did not find: a reorg dropped them. */
    int dropVanishedPending(Connection connection, long chainId, long fromBlock, long toBlock) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("""
                delete from deposit where chain_id = ? and status = 'pending' and block_number between ? and ?""")) {
            delete.setLong(1, chainId);
            delete.setLong(2, fromBlock);
            delete.setLong(3, toBlock);
            return delete.executeUpdate();
        }
    }

    /**
     * Replaces what is shown as pending from {@code fromBlock} up with {@code seen} (a reorg may
     * have moved or dropped some), in one transaction, and notes the chain's heads
     * ({@code finalizedBlock} -1: no block is final yet).
     */
    void recordPending(long chainId, long fromBlock, long finalizedBlock, long latestBlock, List<Sighting> seen,
                       Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement delete = connection.prepareStatement("""
                        delete from deposit d where d.chain_id = ? and d.status = 'pending' and d.block_number >= ?
                          and not exists (select 1 from unnest(?::text[], ?::int[]) as k(tx_hash, log_index)
                                          where k.tx_hash = d.tx_hash and k.log_index = d.log_index)""")) {
                    delete.setLong(1, chainId);
                    delete.setLong(2, fromBlock);
                    delete.setArray(3, connection.createArrayOf("text", seen.stream().map(s -> s.log().txHash()).toArray()));
                    delete.setArray(4, connection.createArrayOf("integer",
                        seen.stream().map(s -> s.log().logIndex()).toArray()));
                    delete.executeUpdate();
                }
                if (!seen.isEmpty()) {
                    try (PreparedStatement upsert = connection.prepareStatement("""
                            insert into deposit (chain_id, tx_hash, log_index, block_number, block_hash, from_address,
                                                 amount_units, amount_nano, account_id, status, seen_at)
                            values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                            on conflict (chain_id, tx_hash, log_index) do update
                                set block_number = excluded.block_number, block_hash = excluded.block_hash,
                                    account_id = excluded.account_id
                                where deposit.status = 'pending'""")) {
                        for (Sighting sighting : seen) {
                            bindDeposit(upsert, chainId, sighting.log(), sighting.amountUnits(),
                                Math.multiplyExact(sighting.amountUnits(), ChainSettings.NANO_PER_TOKEN_UNIT),
                                sighting.accountId());
                            upsert.setTimestamp(10, Timestamp.from(now));
                            upsert.addBatch();
                        }
                        upsert.executeBatch();
                    }
                }
                try (PreparedStatement update = connection.prepareStatement("""
                        update chain_scan set finalized_block = ?, latest_block = ?, updated_at = ?
                        where chain_id = ? and halted_at is null""")) {
                    update.setObject(1, finalizedBlock < 0 ? null : finalizedBlock);
                    update.setLong(2, latestBlock);
                    update.setTimestamp(3, Timestamp.from(now));
                    update.setLong(4, chainId);
                    update.executeUpdate();
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Stops crediting on the chain until {@link #resume}; a chain halted already keeps its first reason. */
    void halt(long chainId, String reason, Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement("""
                 update chain_scan set halted_at = ?, halt_reason = ?, updated_at = ?
                 where chain_id = ? and halted_at is null""")) {
            update.setTimestamp(1, Timestamp.from(now));
            update.setString(2, reason.length() > 2000 ? reason.substring(0, 2000) : reason);
            update.setTimestamp(3, Timestamp.from(now));
            update.setLong(4, chainId);
            update.executeUpdate();
        }
    }

    /**
     * Clears a halt and sets the cursor back to {@code fromBlock} (at most where it stands, so no
     * block is skipped), forgetting the stored hash: the chain as it is now is the one to follow.
     *
     * @return the cursor after, or empty if {@code fromBlock} is beyond it or the chain was never scanned
     */
    Optional<ChainScan> resume(long chainId, long fromBlock, Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement update = connection.prepareStatement("""
                    update chain_scan set next_block = ?, last_block_number = null, last_block_hash = null,
                                          halted_at = null, halt_reason = null, updated_at = ?
                    where chain_id = ? and next_block >= ?""")) {
                update.setLong(1, fromBlock);
                update.setTimestamp(2, Timestamp.from(now));
                update.setLong(3, chainId);
                update.setLong(4, fromBlock);
                if (update.executeUpdate() != 1) {
                    return Optional.empty();
                }
            }
            return findChain(connection, chainId);
        }
    }

    List<ChainScan> chains() throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("select " + CHAIN_COLUMNS + " order by chain_id");
             ResultSet rows = select.executeQuery()) {
            List<ChainScan> chains = new ArrayList<>();
            while (rows.next()) {
                chains.add(chainScan(rows));
            }
            return chains;
        }
    }

    /** The account's deposits (pending, credited and assigned to it), newest first. */
    List<DepositRow> ofAccount(long accountId, int limit) throws SQLException {
        return deposits("where d.account_id = ? order by d.id desc limit ?", accountId, limit);
    }

    /** Final deposits from unknown addresses waiting for an admin, oldest first. */
    List<DepositRow> inReview(int limit) throws SQLException {
        return deposits("where d.status = 'review' order by d.id limit ?", limit);
    }

    Optional<DepositRow> byId(long depositId) throws SQLException {
        return deposits("where d.id = ?", depositId).stream().findFirst();
    }

    /** The wallets registered to the account, lower-case, oldest first. */
    List<String> walletsOf(long accountId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select address from wallet where account_id = ? and unlinked_at is null order by linked_at, address")) {
            select.setLong(1, accountId);
            try (ResultSet rows = select.executeQuery()) {
                List<String> wallets = new ArrayList<>();
                while (rows.next()) {
                    wallets.add(rows.getString(1));
                }
                return wallets;
            }
        }
    }

    boolean accountExists(long accountId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("select 1 from account where id = ?")) {
            select.setLong(1, accountId);
            try (ResultSet row = select.executeQuery()) {
                return row.next();
            }
        }
    }

    /**
     * Marks a review deposit assigned to the account; in the ledger's transaction, so the move
     * of its money commits with it.
     *
     * @throws Raced if it is no longer in review
     */
    void assign(Connection connection, long depositId, long accountId, String assignedBy, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                update deposit set status = 'assigned', account_id = ?, assigned_at = ?, assigned_by = ?
                where id = ? and status = 'review'""")) {
            update.setLong(1, accountId);
            update.setTimestamp(2, Timestamp.from(now));
            update.setString(3, assignedBy);
            update.setLong(4, depositId);
            if (update.executeUpdate() != 1) {
                throw new Raced("deposit " + depositId + " is no longer in review");
            }
        }
    }

    private List<DepositRow> deposits(String where, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("select " + DEPOSIT_COLUMNS + " " + where)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = select.executeQuery()) {
                List<DepositRow> deposits = new ArrayList<>();
                while (rows.next()) {
                    deposits.add(new DepositRow(rows.getLong(1), rows.getLong(2), rows.getString(3), rows.getInt(4),
                        rows.getLong(5), rows.getString(6), rows.getLong(7), rows.getLong(8),
                        rows.getObject(9, Long.class), rows.getString(10), instant(rows, 11), instant(rows, 12),
                        instant(rows, 13), rows.getString(14), rows.getObject(15, Long.class)));
                }
                return deposits;
            }
        }
    }

    private static ChainScan chainScan(ResultSet row) throws SQLException {
        return new ChainScan(row.getLong(1), row.getLong(2), row.getObject(3, Long.class), row.getString(4),
            row.getObject(5, Long.class), row.getObject(6, Long.class), instant(row, 7), row.getString(8),
            instant(row, 9));
    }

    private static Instant instant(ResultSet row, int column) throws SQLException {
        Timestamp timestamp = row.getTimestamp(column);
        return timestamp == null ? null : timestamp.toInstant();
    }
}
