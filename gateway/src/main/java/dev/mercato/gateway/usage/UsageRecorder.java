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

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * Writes one usage record per served request, after its money is settled, off the response's
 * path. Records are metadata that nobody waits for, so they are written in batches (group
 * commit with a linger): one transaction and one commit for many requests instead of one each.
 */
@Singleton
public class UsageRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);

    private final GroupCommit<UsageRecord, Void> writes;

    public UsageRecorder(UsageRepository records, TransactionOperations<Connection> transactions,
                         @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor,
                         @Value("${mercato.usage.max-batch:512}") int maxBatch,
                         @Value("${mercato.usage.max-queued:20000}") int maxQueued,
                         @Value("${mercato.usage.linger:100ms}") Duration linger) {
        this.writes = new GroupCommit<>("usage-records", maxBatch, maxQueued, linger, batch -> {
            transactions.executeWrite(status -> records.saveAll(batch));
            return batch.stream().map(record -> Outcome.<Void>done(null)).toList();
        }, blockingExecutor);
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
