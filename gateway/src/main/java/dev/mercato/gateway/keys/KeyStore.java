package dev.mercato.gateway.keys;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/** API keys as stored: by hash for authentication, by account for their owner. Deleted keys are never returned. */
@Singleton
public class KeyStore {

    private static final String COLUMNS = """
        id, account_id, name, prefix, last_four, disabled, created_at, expires_at, requests_per_minute,
        concurrent_requests, tokens_per_minute, budget_nano, budget_period, allowed_models, allowed_ips""";

    private final TransactionOperations<Connection> transactions;

    public KeyStore(TransactionOperations<Connection> transactions) {
        this.transactions = transactions;
    }

    public Optional<ApiKey> findByHash(String keyHash) {
        return transactions.executeRead(status -> one(status.getConnection(),
            "select " + COLUMNS + " from api_key where key_hash = ? and deleted_at is null", keyHash));
    }

    public Optional<ApiKey> find(long accountId, long keyId) {
        return transactions.executeRead(status -> one(status.getConnection(),
            "select " + COLUMNS + " from api_key where id = ? and account_id = ? and deleted_at is null", keyId, accountId));
    }

    public List<ApiKey> listByAccount(long accountId) {
        return transactions.executeRead(status -> {
            try (PreparedStatement select = status.getConnection().prepareStatement("select " + COLUMNS
                + " from api_key where account_id = ? and deleted_at is null order by id")) {
                select.setLong(1, accountId);
                try (ResultSet rows = select.executeQuery()) {
                    List<ApiKey> keys = new ArrayList<>();
                    while (rows.next()) {
                        keys.add(read(rows));
                    }
                    return keys;
                }
            }
        });
    }

    public int countByAccount(long accountId) {
        return transactions.executeRead(status -> {
            try (PreparedStatement count = status.getConnection().prepareStatement(
                "select count(*) from api_key where account_id = ? and deleted_at is null")) {
                count.setLong(1, accountId);
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            }
        });
    }

    /** Stores a new key (its secret only as a hash) and returns it as stored. */
    public ApiKey insert(long accountId, String name, String keyHash, String prefix, String lastFour, boolean disabled,
                         KeyLimits limits, @Nullable Instant expiresAt) {
        return transactions.executeWrite(status -> {
            Connection connection = status.getConnection();
            try (PreparedStatement insert = connection.prepareStatement("""
                insert into api_key (account_id, name, key_hash, prefix, last_four, disabled, expires_at,
                    requests_per_minute, concurrent_requests, tokens_per_minute, budget_nano, budget_period,
                    allowed_models, allowed_ips)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                returning """ + " " + COLUMNS)) {
                insert.setLong(1, accountId);
                insert.setString(2, name);
                insert.setString(3, keyHash);
                insert.setString(4, prefix);
                insert.setString(5, lastFour);
                insert.setBoolean(6, disabled);
                setInstant(insert, 7, expiresAt);
                setLimits(connection, insert, 8, limits);
                try (ResultSet rows = insert.executeQuery()) {
                    rows.next();
                    return read(rows);
                }
            }
        });
    }

    /** Replaces what an owner may change of a key; empty when the account has no such key. */
    public Optional<ApiKey> update(long accountId, long keyId, String name, boolean disabled, KeyLimits limits,
                                   @Nullable Instant expiresAt) {
        return transactions.executeWrite(status -> {
            Connection connection = status.getConnection();
            try (PreparedStatement update = connection.prepareStatement("""
                update api_key set name = ?, disabled = ?, expires_at = ?, requests_per_minute = ?,
                    concurrent_requests = ?, tokens_per_minute = ?, budget_nano = ?, budget_period = ?,
                    allowed_models = ?, allowed_ips = ?
                where id = ? and account_id = ? and deleted_at is null
                returning """ + " " + COLUMNS)) {
                update.setString(1, name);
                update.setBoolean(2, disabled);
                setInstant(update, 3, expiresAt);
                setLimits(connection, update, 4, limits);
                update.setLong(11, keyId);
                update.setLong(12, accountId);
                try (ResultSet rows = update.executeQuery()) {
                    return rows.next() ? Optional.of(read(rows)) : Optional.empty();
                }
            }
        });
    }

    /** Deletes a key for good: it never authenticates again; its usage records keep naming it. */
    public boolean delete(long accountId, long keyId) {
        return transactions.executeWrite(status -> {
            try (PreparedStatement delete = status.getConnection().prepareStatement(
                "update api_key set deleted_at = now() where id = ? and account_id = ? and deleted_at is null")) {
                delete.setLong(1, keyId);
                delete.setLong(2, accountId);
                return delete.executeUpdate() == 1;
            }
        });
    }

    /**
     * What a key has been charged since {@code since}, in all, and when it was last used,
     * from its usage records (which arrive a moment after each answer).
     */
    public Spend spend(long keyId, Instant since) {
        return transactions.executeRead(status -> {
            try (PreparedStatement select = status.getConnection().prepareStatement("""
                select coalesce(sum(cost_nano) filter (where created_at >= ?), 0), coalesce(sum(cost_nano), 0),
                       max(created_at)
                from usage_record where api_key_id = ?""")) {
                select.setTimestamp(1, Timestamp.from(since));
                select.setLong(2, keyId);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    Timestamp lastUsed = rows.getTimestamp(3);
                    return new Spend(rows.getLong(1), rows.getLong(2), lastUsed == null ? null : lastUsed.toInstant());
                }
            }
        });
    }

    public record Spend(long sinceNano, long lifetimeNano, @Nullable Instant lastUsedAt) {
    }

    private static Optional<ApiKey> one(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(read(rows)) : Optional.empty();
            }
        }
    }

    /** Sets the seven limit columns from {@code first} on, in the order of {@link #COLUMNS}. */
    private static void setLimits(Connection connection, PreparedStatement statement, int first, KeyLimits limits)
        throws SQLException {
        statement.setInt(first, limits.requestsPerMinute());
        statement.setInt(first + 1, limits.concurrentRequests());
        statement.setObject(first + 2, limits.tokensPerMinute(), Types.BIGINT);
        statement.setObject(first + 3, limits.budget() == null ? null : limits.budget().amountNano(), Types.BIGINT);
        statement.setString(first + 4, limits.budget() == null ? null : limits.budget().period().wireName());
        statement.setArray(first + 5, limits.allowedModels() == null ? null
            : connection.createArrayOf("text", limits.allowedModels().stream().sorted().toArray()));
        statement.setArray(first + 6, limits.allowedIps() == null ? null
            : connection.createArrayOf("text", limits.allowedIps().entries().toArray()));
    }

    private static void setInstant(PreparedStatement statement, int index, @Nullable Instant instant) throws SQLException {
        statement.setTimestamp(index, instant == null ? null : Timestamp.from(instant));
    }

    private static ApiKey read(ResultSet row) throws SQLException {
        long budgetNano = row.getLong("budget_nano");
        KeyLimits.Budget budget = row.wasNull() ? null
            : new KeyLimits.Budget(budgetNano, BudgetPeriod.fromWire(row.getString("budget_period")));
        long tokensPerMinute = row.getLong("tokens_per_minute");
        Long tpm = row.wasNull() ? null : tokensPerMinute;
        List<String> models = strings(row.getArray("allowed_models"));
        List<String> ips = strings(row.getArray("allowed_ips"));
        KeyLimits limits = new KeyLimits(row.getInt("requests_per_minute"), row.getInt("concurrent_requests"), tpm,
            budget, models == null ? null : new HashSet<>(models), ips == null ? null : IpAllowlist.parse(ips));
        Timestamp expiresAt = row.getTimestamp("expires_at");
        return new ApiKey(row.getLong("id"), row.getLong("account_id"), row.getString("name"), row.getString("prefix"),
            row.getString("last_four"), row.getBoolean("disabled"), row.getTimestamp("created_at").toInstant(),
            expiresAt == null ? null : expiresAt.toInstant(), limits);
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? null : Arrays.asList((String[]) array.getArray());
    }
}
