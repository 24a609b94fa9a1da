package dev.mercato.agent.serving;

import java.util.concurrent.atomic.AtomicLong;

/** How requests have ended since the agent started. */
public final class Counters {

    private final AtomicLong served = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();

    void countServed() {
        served.incrementAndGet();
    }

    void countFailed() {
        failed.incrementAndGet();
    }

    void countCancelled() {
        cancelled.incrementAndGet();
    }

    /** Requests that ended with {@code end}. */
    public long served() {
        return served.get();
    }

    /** Requests answered with {@code fail}, refusals included. */
    public long failed() {
        return failed.get();
    }

    /** Requests stopped by a gateway's {@code cancel} or by their socket dropping. */
    public long cancelled() {
        return cancelled.get();
    }
}
