package dev.mercato.gateway.chain;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The loops that work on the configured chains (a deposit scanner and a payout worker per
 * chain), each on a named virtual thread, started with the gateway and stopped with it.
 */
public final class ChainLoops {

    private static final Logger LOG = LoggerFactory.getLogger(ChainLoops.class);

    /** How long stopping waits for a loop to finish its step (each RPC call is bounded by its own timeout). */
    static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final List<Thread> threads = new ArrayList<>();

    public void start(String name, Runnable loop) {
        threads.add(Thread.ofVirtual().name(name).start(loop));
    }

    /** Interrupts every loop (each told to stop first, by its owner) and waits for each to end. */
    public void stop() {
        threads.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                if (!thread.join(STOP_WAIT)) {
                    LOG.warn("{} did not stop within {} ms", thread.getName(), STOP_WAIT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
