package dev.mercato.gateway.keys;

import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

/** The one row of platform-wide key settings. */
@Singleton
public class KeyPolicyStore {

    private final TransactionOperations<Connection> transactions;

    public KeyPolicyStore(TransactionOperations<Connection> transactions) {
        this.transactions = transactions;
    }

    public KeyPolicy current() {
        return transactions.executeRead(status -> {
            try (PreparedStatement select = status.getConnection().prepareStatement("""
                select default_requests_per_minute, default_concurrent_requests, max_requests_per_minute,
                       max_concurrent_requests, max_tokens_per_minute, max_keys_per_account
                from key_policy where id = 1""");
                 ResultSet row = select.executeQuery()) {
                row.next();
                return new KeyPolicy(row.getInt(1), row.getInt(2), row.getInt(3), row.getInt(4), row.getLong(5),
                    row.getInt(6));
            }
        });
    }

    public KeyPolicy change(KeyPolicy policy) {
        return transactions.executeWrite(status -> {
            try (PreparedStatement update = status.getConnection().prepareStatement("""
                update key_policy set default_requests_per_minute = ?, default_concurrent_requests = ?,
                    max_requests_per_minute = ?, max_concurrent_requests = ?, max_tokens_per_minute = ?,
                    max_keys_per_account = ?, updated_at = now()
                where id = 1""")) {
                update.setInt(1, policy.defaultRequestsPerMinute());
                update.setInt(2, policy.defaultConcurrentRequests());
                update.setInt(3, policy.maxRequestsPerMinute());
                update.setInt(4, policy.maxConcurrentRequests());
                update.setLong(5, policy.maxTokensPerMinute());
                update.setInt(6, policy.maxKeysPerAccount());
                update.executeUpdate();
                return policy;
            }
        });
    }
}
