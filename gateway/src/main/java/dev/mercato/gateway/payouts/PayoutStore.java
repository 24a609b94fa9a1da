package dev.mercato.gateway.payouts;

import dev.mercato.gateway.chain.ChainSettings;
import dev.mercato.gateway.chain.ChainLock;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import jakarta.inject.Singleton;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The payout tables ({@code payout}, {@code payout_tx}) in plain SQL. */
@Singleton
class PayoutStore {

    /** A payout as stored, with its operator's name. */
    record PayoutRow(UUID id, long accountId, long operatorId, String operatorName, long chainId, String toAddress,
                     long amountUnits, long amountNano, UUID holdId, String status, String waitingFor, String failure,
                     String txHash, Long blockNumber, Instant requestedAt, Instant sentAt, Instant resolvedAt) {
    }

    /** One signed transaction of a payout: its {@code transfer}, or the {@code cancel} that takes its nonce. */
    record PayoutTx(UUID payoutId, String kind, long chainId, String fromAddress, long nonce, BigInteger gasPriceWei,
                    String txHash, String signedTx, Instant createdAt) {
    }

    static final String TRANSFER = "transfer";
    static final String CANCEL = "cancel";

    private static final String COLUMNS = """
        p.id, p.account_id, p.operator_id, o.name, p.chain_id, p.to_address, p.amount_units, p.amount_nano, p.hold_id,
        p.status, p.waiting_for, p.failure, p.tx_hash, p.block_number, p.requested_at, p.sent_at, p.resolved_at
        from payout p join operator o on o.id = p.operator_id""";

    private final DataSource dataSource;

    PayoutStore(DataSource dataSource) {
        this.dataSource = DelegatingDataSource.unwrapDataSource(dataSource);
    }

    /** Runs {@code work} holding the chain's payout lock, or answers empty when another worker holds it. */
    <T> Optional<T> withChainLock(long chainId, ChainLock.Work<T> work) throws Exception {
        return ChainLock.tryWith(dataSource, ChainLock.Kind.PAYOUTS, chainId, work);
    }

    /**
     * Inserts a new payout on the caller's connection (the ledger's, in the transaction that holds
     * its amount); false, and nothing written, when its id exists already.
     */
    boolean insert(Connection connection, UUID id, long accountId, long operatorId, long chainId, String toAddress,
                   long amountUnits, UUID holdId, Instant now) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into payout (id, account_id, operator_id, chain_id, to_address, amount_units, amount_nano, hold_id,
                                    status, requested_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?)
                on conflict (id) do nothing""")) {
            insert.setObject(1, id);
            insert.setLong(2, accountId);
            insert.setLong(3, operatorId);
            insert.setLong(4, chainId);
            insert.setString(5, toAddress);
            insert.setLong(6, amountUnits);
            insert.setLong(7, Math.multiplyExact(amountUnits, ChainSettings.NANO_PER_TOKEN_UNIT));
            insert.setObject(8, holdId);
            insert.setTimestamp(9, Timestamp.from(now));
            return insert.executeUpdate() == 1;
        }
    }

    /** Whether {@code address} is a wallet linked to the account now. */
    boolean walletLinked(long accountId, String address) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select 1 from wallet where address = ? and account_id = ? and unlinked_at is null")) {
            select.setString(1, address);
            select.setLong(2, accountId);
            try (ResultSet row = select.executeQuery()) {
                return row.next();
            }
        }
    }

    Optional<PayoutRow> find(UUID id) throws SQLException {
        List<PayoutRow> rows = select("where p.id = ?", id);
        return rows.stream().findFirst();
    }

    /** The account's payouts, newest first. */
    List<PayoutRow> ofAccount(long accountId, int limit) throws SQLException {
        return select("where p.account_id = ? order by p.requested_at desc, p.id limit ?", accountId, limit);
    }

    /** Payouts not yet paid or failed, on every chain, oldest first. */
    List<PayoutRow> open(int limit) throws SQLException {
        return select("where p.status in ('requested', 'sent') order by p.requested_at, p.id limit ?", limit);
    }

    /** The chain's payout whose transactions are out, if any (the worker keeps at most one). */
    Optional<PayoutRow> inFlight(long chainId) throws SQLException {
        return select("where p.chain_id = ? and p.status = 'sent' order by p.sent_at, p.id limit 1", chainId)
            .stream().findFirst();
    }

    /** The chain's oldest payout waiting to be sent. */
    Optional<PayoutRow> nextRequested(long chainId) throws SQLException {
        return select("where p.chain_id = ? and p.status = 'requested' order by p.requested_at, p.id limit 1", chainId)
            .stream().findFirst();
    }

    List<PayoutTx> transactions(UUID payoutId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("""
                 select payout_id, kind, chain_id, from_address, nonce, gas_price_wei, tx_hash, signed_tx, created_at
                 from payout_tx where payout_id = ? order by kind desc""")) { // transfer before cancel
            select.setObject(1, payoutId);
            List<PayoutTx> found = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    found.add(new PayoutTx(row.getObject(1, UUID.class), row.getString(2), row.getLong(3), row.getString(4),
                        row.getLong(5), row.getBigDecimal(6).toBigIntegerExact(), row.getString(7), row.getString(8),
                        row.getTimestamp(9).toInstant()));
                }
            }
            return found;
        }
    }

    /**
     * Stores a payout's signed transfer and marks it sent, in one transaction, before anything is
     * broadcast: whatever happens next, a worker finds these bytes and sends nothing else for it.
     *
     * @throws IllegalStateException if the payout was no longer requested (another worker got there first)
     */
    void recordTransfer(PayoutTx transfer) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                insertTx(connection, transfer);
                try (PreparedStatement update = connection.prepareStatement("""
                        update payout set status = 'sent', sent_at = ?, waiting_for = null
                        where id = ? and status = 'requested'""")) {
                    update.setTimestamp(1, Timestamp.from(transfer.createdAt()));
                    update.setObject(2, transfer.payoutId());
                    if (update.executeUpdate() != 1) {
                        throw new IllegalStateException("payout " + transfer.payoutId() + " is no longer requested");
                    }
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Stores a payout's cancelling transaction before it is broadcast; a no-op if it has one. */
    void recordCancel(PayoutTx cancel) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            insertTx(connection, cancel);
        }
    }

    void markPaid(UUID id, String txHash, long blockNumber, Instant now) throws SQLException {
        update("update payout set status = 'paid', tx_hash = ?, block_number = ?, waiting_for = null, resolved_at = ? "
            + "where id = ? and status = 'sent'", txHash, blockNumber, Timestamp.from(now), id);
    }

    void markFailed(UUID id, String failure, String txHash, Instant now) throws SQLException {
        update("update payout set status = 'failed', failure = ?, tx_hash = ?, waiting_for = null, resolved_at = ? "
            + "where id = ? and status in ('requested', 'sent')", abbreviate(failure), txHash, Timestamp.from(now), id);
    }

    /** Says why a payout is not moving; a no-op when it says so already. */
    void markWaiting(UUID id, String reason) throws SQLException {
        update("update payout set waiting_for = ? where id = ? and waiting_for is distinct from ?",
            abbreviate(reason), id, abbreviate(reason));
    }

    private static void insertTx(Connection connection, PayoutTx tx) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into payout_tx (payout_id, kind, chain_id, from_address, nonce, gas_price_wei, tx_hash, signed_tx,
                                       created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict (payout_id, kind) do nothing""")) {
            insert.setObject(1, tx.payoutId());
            insert.setString(2, tx.kind());
            insert.setLong(3, tx.chainId());
            insert.setString(4, tx.fromAddress());
            insert.setLong(5, tx.nonce());
            insert.setBigDecimal(6, new BigDecimal(tx.gasPriceWei()));
            insert.setString(7, tx.txHash());
            insert.setString(8, tx.signedTx());
            insert.setTimestamp(9, Timestamp.from(tx.createdAt()));
            insert.executeUpdate();
        }
    }

    private List<PayoutRow> select(String where, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("select " + COLUMNS + " " + where)) {
            bind(select, parameters);
            List<PayoutRow> rows = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    rows.add(new PayoutRow(row.getObject(1, UUID.class), row.getLong(2), row.getLong(3), row.getString(4),
                        row.getLong(5), row.getString(6), row.getLong(7), row.getLong(8), row.getObject(9, UUID.class),
                        row.getString(10), row.getString(11), row.getString(12), row.getString(13),
                        row.getObject(14, Long.class), instant(row.getTimestamp(15)), instant(row.getTimestamp(16)),
                        instant(row.getTimestamp(17))));
                }
            }
            return rows;
        }
    }

    private void update(String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement(sql)) {
            bind(update, parameters);
            update.executeUpdate();
        }
    }

    private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 2000 ? text : text.substring(0, 1999) + "…";
    }
}
