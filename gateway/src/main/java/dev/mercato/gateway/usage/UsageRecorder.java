package dev.mercato.gateway.usage;

import dev.mercato.ledger.GroupCommit;
import dev.mercato.ledger.Outcome;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.transaction.TransactionOperations;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;

/**
 * Writes one usage record per served request, after its money is settled, off the response's
 * path. Records are metadata that nobody waits for, so they are written in batches (group
 * commit with a linger): one statement, one transaction and one commit for many requests
 * instead of one each. One statement matters as much as one commit: PostgreSQL prepares a
 * table's check constraints afresh for every statement, and usage_record has seven.
 */
@Singleton
public class UsageRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);

    /** Every record of a batch in one statement; created_at is the transaction's time (the column default). */
    private static final String INSERT_ALL = """
        insert into usage_record (request_id, account_id, api_key_id, model_id, node, operator_id, input_tokens,
                                  output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens, cost_nano,
                                  outcome, latency_millis, first_byte_millis)
        select * from unnest(?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[],
                             ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[],
                             ?::bigint[])""";

    private final GroupCommit<UsageRecord, Void> writes;

    public UsageRecorder(TransactionOperations<Connection> transactions,
                         @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor,
                         @Value("${mercato.usage.max-batch:512}") int maxBatch,
                         @Value("${mercato.usage.max-queued:20000}") int maxQueued,
                         @Value("${mercato.usage.linger:100ms}") Duration linger) {
        this.writes = new GroupCommit<>("usage-records", maxBatch, maxQueued, linger, batch -> {
            transactions.executeWrite(status -> insertAll(status.getConnection(), batch));
            return batch.stream().map(record -> Outcome.<Void>done(null)).toList();
        }, blockingExecutor);
    }

    private static int insertAll(Connection connection, List<UsageRecord> batch) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT_ALL)) {
            int column = 0;
            insert.setArray(++column, array(connection, "text", batch, UsageRecord::requestId));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::accountId));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::apiKeyId));
            insert.setArray(++column, array(connection, "text", batch, UsageRecord::modelId));
            insert.setArray(++column, array(connection, "text", batch, UsageRecord::node));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::operatorId));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::inputTokens));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::outputTokens));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::cacheWriteTokens));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::cacheReadTokens));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::reasoningTokens));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::costNano));
            insert.setArray(++column, array(connection, "text", batch, UsageRecord::outcome));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::latencyMillis));
            insert.setArray(++column, array(connection, "bigint", batch, UsageRecord::firstByteMillis));
            int inserted = insert.executeUpdate();
            if (inserted != batch.size()) {
                throw new IllegalStateException("inserted " + inserted + " usage records of " + batch.size());
            }
            return inserted;
        }
    }

    private static Array array(Connection connection, String type, List<UsageRecord> batch,
                                        Function<UsageRecord, Object> column) throws SQLException {
        return connection.createArrayOf(type, batch.stream().map(column).toArray());
    }

    /** Writes what is queued, then stops taking more. */
    @PreDestroy
    void close() {
        writes.close();
    }

    public CompletableFuture<Void> record(UsageRecord record) {
        return writes.submit(record).whenComplete((done, failure) -> {
            if (failure != null) {
                LOG.error("could not record usage of request {} ({} nano)", record.requestId(), record.costNano(), failure);
            }
        });
    }
}
