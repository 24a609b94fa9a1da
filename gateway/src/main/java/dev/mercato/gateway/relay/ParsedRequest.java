package dev.mercato.gateway.relay;

import io.micronaut.core.annotation.Nullable;

/**
 * A consumer request that passed validation: its model, whether it streams, the most output
 * tokens it asks for (null: it names no bound), the body to send upstream (the consumer's own
 * bytes unless the gateway had to ask for usage), and what names its conversation, if anything
 * does (OpenAI {@code prompt_cache_key} or {@code user}, Anthropic {@code metadata.user_id}).
 */
public record ParsedRequest(ApiRoute route, String model, boolean stream, boolean consumerWantsUsageChunk,
                            @Nullable Long maxOutputTokens, String upstreamBody, @Nullable String conversationHint) {
}
