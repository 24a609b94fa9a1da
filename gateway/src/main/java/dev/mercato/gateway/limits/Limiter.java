package dev.mercato.gateway.limits;

import io.micronaut.core.annotation.Nullable;

import java.time.Duration;

/**
 * Per-subject limits: requests and tokens in a sliding one-minute window, and concurrent
 * slots. A subject is any string the caller chooses ({@code key:42}, {@code sign-in-ip:…}).
 *
 * <p>The admission path talks only to this interface. The default is {@link InMemoryLimiter},
 * exact for one gateway; several gateways behind one address need a shared implementation
 * (Redis sorted sets for the windows, a counter with a lease for the slots) with the same
 * contract, and nothing else changes.
 *
 * <p>Windows slide: "60 a minute" means at most 60 in any 60 seconds, so there is no double
 * burst at a fixed window's edge.
 */
public interface Limiter {

    Duration WINDOW = Duration.ofMinutes(1);

    /** Counts one request under the subject if fewer than {@code limitPerMinute} were counted in the last minute. */
    WindowDecision tryRequest(String subject, long limitPerMinute);

    /** What {@link #tryRequest} would answer now, without counting anything: for the rate-limit headers. */
    WindowDecision peekRequests(String subject, long limitPerMinute);

    /**
     * Whether the subject may start another request under a tokens-per-minute limit: it may
     * while fewer than {@code limitPerMinute} tokens were counted in the last minute. Counts
     * nothing; {@link #addTokens} counts what a request used once it is known.
     */
    WindowDecision checkTokens(String subject, long limitPerMinute);

    /** Counts tokens a request used, at the current time. */
    void addTokens(String subject, long tokens);

    /** One of {@code limit} concurrent slots, or null when all are taken. */
    @Nullable
    Slot tryAcquireSlot(String subject, int limit);

    /** What the subject has used now: requests and tokens in the last minute, slots held. */
    Usage usage(String subject);

    /** A held concurrent slot. Closing it frees it; closing it again does nothing. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    record Usage(long requestsInWindow, long tokensInWindow, int slotsHeld) {
    }
}
