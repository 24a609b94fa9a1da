package dev.mercato.protocol;

import io.micronaut.serde.annotation.Serdeable;

/**
 * Token counts of one answer, each kind counted once: {@code inputTokens} excludes cache
 * reads and cache writes (OpenAI's cached tokens are taken out of its prompt tokens), so the
 * four billable kinds never overlap. {@code reasoningTokens} is part of {@code outputTokens}.
 */
@Serdeable
public record TokenUsage(long inputTokens, long outputTokens, long cacheWriteTokens, long cacheReadTokens,
                         long reasoningTokens) {

    public static final TokenUsage ZERO = new TokenUsage(0, 0, 0, 0, 0);

    public TokenUsage {
        if (inputTokens < 0 || outputTokens < 0 || cacheWriteTokens < 0 || cacheReadTokens < 0 || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: " + inputTokens + "/" + outputTokens
                + "/" + cacheWriteTokens + "/" + cacheReadTokens + "/" + reasoningTokens);
        }
    }
}
