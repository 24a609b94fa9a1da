package dev.mercato.gateway.usage;

import io.micronaut.scheduling.TaskExecutors;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/** Writes one usage record per served request, after its money is settled, off the response's path. */
@Singleton
public class UsageRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);

    private final UsageRepository records;
    private final ExecutorService blockingExecutor;

    public UsageRecorder(UsageRepository records, @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor) {
        this.records = records;
        this.blockingExecutor = blockingExecutor;
    }

    public CompletableFuture<Void> record(UsageRecord record) {
        return CompletableFuture.runAsync(() -> records.save(record), blockingExecutor).whenComplete((done, failure) -> {
            if (failure != null) {
                LOG.error("could not record usage of request {} ({} nano)", record.requestId(), record.costNano(), failure);
            }
        });
    }
}
