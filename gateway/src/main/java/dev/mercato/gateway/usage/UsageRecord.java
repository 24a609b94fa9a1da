package dev.mercato.gateway.usage;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

import java.time.Instant;

/**
 * One served request, as metadata: who, which model and node, tokens by kind, what it cost, how it
 * went. Written by {@link UsageRecorder} in batches; {@code createdAt} is the column default, the
 * time of the batch's transaction, so it is null until the record is read back.
 */
@MappedEntity("usage_record")
public record UsageRecord(@Id @GeneratedValue @Nullable Long id, String requestId, long accountId, long apiKeyId,
                          String modelId, String node, long operatorId, long inputTokens, long outputTokens,
                          long cacheWriteTokens, long cacheReadTokens, long reasoningTokens, long costNano,
                          String outcome, long latencyMillis, @Nullable Long firstByteMillis,
                          @Nullable Instant createdAt) {
}
