package dev.mercato.ledger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Group commit: callers submit one item each and get a future; one worker thread takes whatever
 * has queued up (at most {@code maxBatch}) and runs it as one batch, so one transaction and one
 * commit serve everyone who arrived while the previous batch ran. Under light load a batch is
 * one item and costs what a direct call costs; under heavy load the batches grow and the
 * per-item cost falls, instead of requests queueing for row locks one commit at a time.
 *
 * <p>Work that nobody waits for (settling after the answer was sent, usage records) may
 * {@code linger}: the worker then waits up to that long for more items before it writes a batch,
 * so a quiet gateway too writes several requests per commit. Work a request waits for must not.
 *
 * <p>Bounded: a submission beyond {@code maxQueued} waiting items fails at once with
 * {@link LedgerFailure}. Futures complete on {@code completions}, never on the worker, so a
 * caller's continuation cannot delay the next batch. Closing writes what is queued, then stops.
 */
public final class GroupCommit<I, O> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /** How often an idle worker looks whether it was closed; a batch in progress is never interrupted. */
    private static final long CLOSE_CHECK_MILLIS = 100;

    /** The longest a batch may linger: work that waits longer is not a batch but a backlog. */
    public static final Duration MAX_LINGER = Duration.ofSeconds(1);

    /** How long {@link #close()} waits for the queue to be written before it fails what is left. */
    private static final long CLOSE_TIMEOUT_MILLIS = 10_000;

    private record Waiting<I, O>(I item, CompletableFuture<O> result) {
    }

    private final String name;
    private final int maxBatch;
    private final int maxQueued;
    private final long lingerNanos;
    private final Function<List<I>, List<Outcome<O>>> batch;
    private final Executor completions;
    private final BlockingQueue<Waiting<I, O>> queue;
    private final Thread worker;
    private volatile boolean closed;

    /**
     * @param linger how long a batch that is not full waits for more items; zero writes at once
     * @param batch runs one batch; returns one outcome per item, in order, or throws when the whole batch failed
     */
    public GroupCommit(String name, int maxBatch, int maxQueued, Duration linger,
                       Function<List<I>, List<Outcome<O>>> batch, Executor completions) {
        if (maxBatch < 1 || maxQueued < 1) {
            throw new IllegalArgumentException("batch and queue sizes must be positive, were " + maxBatch + " and "
                + maxQueued);
        }
        if (linger.isNegative() || linger.compareTo(MAX_LINGER) > 0) {
            throw new IllegalArgumentException("linger must be between 0 and " + MAX_LINGER.toMillis() + " ms, was "
                + linger.toMillis() + " ms");
        }
        this.lingerNanos = linger.toNanos();
        this.name = Objects.requireNonNull(name, "name");
        this.maxBatch = maxBatch;
        this.maxQueued = maxQueued;
        this.batch = Objects.requireNonNull(batch, "batch");
        this.completions = Objects.requireNonNull(completions, "completions");
        this.queue = new ArrayBlockingQueue<>(maxQueued);
        this.worker = Thread.ofPlatform().name(name).daemon().unstarted(this::work);
        worker.start();
    }

    /** Queues one item; the future completes with its outcome, or fails with its refusal or the batch's failure. */
    public CompletableFuture<O> submit(I item) {
        Objects.requireNonNull(item, "item");
        CompletableFuture<O> result = new CompletableFuture<>();
        if (closed) {
            return CompletableFuture.failedFuture(new LedgerFailure(name + " is closed", null));
        }
        if (!queue.offer(new Waiting<>(item, result))) {
            return CompletableFuture.failedFuture(new LedgerFailure(name + " is full: " + maxQueued
                + " items are already waiting for the database", null));
        }
        return result;
    }

    /** Items waiting for a batch, for metrics and tests. */
    public int queued() {
        return queue.size();
    }

    private void work() {
        List<Waiting<I, O>> taken = new ArrayList<>(maxBatch);
        boolean interrupted = false;
        while (!interrupted && (!closed || !queue.isEmpty())) {
            try {
                Waiting<I, O> first = queue.poll(CLOSE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                taken.add(first);
                queue.drainTo(taken, maxBatch - 1);
                long lingerEndNanos = System.nanoTime() + lingerNanos;
                long leftNanos;
                while (!closed && taken.size() < maxBatch && (leftNanos = lingerEndNanos - System.nanoTime()) > 0) {
                    Waiting<I, O> next = queue.poll(leftNanos, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    taken.add(next);
                    queue.drainTo(taken, maxBatch - taken.size());
                }
            } catch (InterruptedException e) {
                interrupted = true; // write what was taken, then stop
            }
            if (!taken.isEmpty()) {
                runBatch(taken);
                taken.clear();
            }
        }
        failAll(queue, new LedgerFailure(name + " closed before this item was written", null));
    }

    private void runBatch(List<Waiting<I, O>> taken) {
        List<I> items = taken.stream().map(Waiting::item).toList();
        List<Outcome<O>> outcomes;
        try {
            outcomes = batch.apply(items);
            if (outcomes.size() != items.size()) {
                throw new IllegalStateException(name + " returned " + outcomes.size() + " outcomes for " + items.size()
                    + " items");
            }
        } catch (RuntimeException | Error e) {
            LOG.error("{}: a batch of {} failed", name, items.size(), e);
            for (Waiting<I, O> waiting : taken) {
                completions.execute(() -> waiting.result().completeExceptionally(e));
            }
            return;
        }
        for (int i = 0; i < taken.size(); i++) {
            CompletableFuture<O> result = taken.get(i).result();
            Outcome<O> outcome = outcomes.get(i);
            completions.execute(() -> {
                if (outcome.isDone()) {
                    result.complete(outcome.value());
                } else {
                    result.completeExceptionally(outcome.refusal());
                }
            });
        }
    }

    private static <I, O> void failAll(BlockingQueue<Waiting<I, O>> queue, RuntimeException failure) {
        List<Waiting<I, O>> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(waiting -> waiting.result().completeExceptionally(failure));
    }

    /**
     * Takes no more items and writes those queued, without lingering; what is still queued after
     * {@value #CLOSE_TIMEOUT_MILLIS} ms fails with {@link LedgerFailure}.
     */
    @Override
    public void close() {
        closed = true;
        try {
            worker.join(CLOSE_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll(queue, new LedgerFailure(name + " closed before this item was written", null));
    }
}
