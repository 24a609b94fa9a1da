package dev.mercato.gateway.relay;

import io.micronaut.context.annotation.ConfigurationProperties;

/** Relay limits (application.yml: mercato.relay). */
@ConfigurationProperties("mercato.relay")
public record RelaySettings(long deadlineMillis, long firstByteTimeoutMillis, long maxBufferedBytes,
                            int maxResponseBytes, int maxAttempts, long stickySeconds) {

    public RelaySettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("mercato.relay.max-attempts must be at least 1, was " + maxAttempts);
        }
    }

    /** A single SSE event longer than this is forwarded unexamined instead of being held. */
    public static final int MAX_EVENT_CHARS = 1024 * 1024;
}
