package dev.mercato.gateway.limits;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.keys.BudgetPeriod;
import dev.mercato.gateway.keys.KeyLimits;
import dev.mercato.gateway.keys.KeyStore;
import io.micronaut.scheduling.TaskExecutors;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps each key's spending within its budget, to the nano: a request is admitted only when
 * what the key spent this period, plus the maximum cost of every request of it still
 * running, plus this request's maximum cost fits the budget. When a request ends, its
 * maximum is replaced by what it was actually charged.
 *
 * <p>A key's spend is read from its usage records the first time this gateway sees the key
 * (and when its budget period changes), then kept here. Several gateways each keep their own
 * running totals; a shared store for them belongs with a shared {@link Limiter}.
 */
@Singleton
public final class KeyBudgets {

    /** Keys whose spend is kept; beyond it all are forgotten and re-read on their next request. */
    private static final int MAX_KEYS = 1_000_000;

    private final KeyStore keys;
    private final ExecutorService blockingExecutor;
    private final Clock clock;
    private final ConcurrentHashMap<Long, CompletableFuture<Spending>> byKeyId = new ConcurrentHashMap<>();

    public KeyBudgets(KeyStore keys, @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor, Clock clock) {
        this.keys = keys;
        this.blockingExecutor = blockingExecutor;
        this.clock = clock;
    }

    /**
     * Reserves the request's maximum cost against the key's budget; completes exceptionally
     * with {@code key_budget_exceeded} when it does not fit. A key without a budget gets a
     * hold that does nothing.
     */
    public CompletableFuture<BudgetHold> reserve(ApiKey key, long maxCostNano) {
        KeyLimits.Budget budget = key.limits().budget();
        if (budget == null) {
            return CompletableFuture.completedFuture(BudgetHold.NONE);
        }
        return spendingOf(key.id(), budget.period()).thenApply(spending -> {
            synchronized (spending) {
                spending.rollTo(budget.period().start(clock.instant()));
                long committed = Math.addExact(spending.spentNano, spending.reservedNano);
                if (Math.addExact(committed, maxCostNano) > budget.amountNano()) {
                    throw new ApiError.Exception(ApiError.of(ErrorCode.KEY_BUDGET_EXCEEDED, "API key budget ("
                        + budget.describe() + ") exceeded: " + KeyLimits.dollars(Math.min(committed, budget.amountNano()))
                        + " of it is spent or held by running requests, and this request could cost up to "
                        + KeyLimits.dollars(maxCostNano) + "; raise the budget or lower max_tokens."));
                }
                spending.reservedNano += maxCostNano;
                return new BudgetHold(spending, maxCostNano);
            }
        });
    }

    /** What the key spent in its current budget period and what its running requests hold, as this gateway knows it. */
    public CompletableFuture<Snapshot> snapshot(ApiKey key) {
        KeyLimits.Budget budget = key.limits().budget();
        if (budget == null) {
            return CompletableFuture.completedFuture(null);
        }
        return spendingOf(key.id(), budget.period()).thenApply(spending -> {
            synchronized (spending) {
                spending.rollTo(budget.period().start(clock.instant()));
                return new Snapshot(spending.periodStart, spending.spentNano, spending.reservedNano);
            }
        });
    }

    public record Snapshot(Instant periodStart, long spentNano, long reservedNano) {
    }

    private CompletableFuture<Spending> spendingOf(long keyId, BudgetPeriod period) {
        CompletableFuture<Spending> known = byKeyId.get(keyId);
        if (known != null && !stale(known, period)) {
            return known;
        }
        if (byKeyId.size() >= MAX_KEYS) {
            byKeyId.clear();
        }
        // Once per key, however many of its requests arrive together; again when its budget period changes.
        return byKeyId.compute(keyId, (id, current) -> current != null && !stale(current, period) ? current
            : load(id, period));
    }

    /** Kept totals are stale when they were counted for another budget period than the key has now. */
    private static boolean stale(CompletableFuture<Spending> spending, BudgetPeriod period) {
        return spending.isDone() && !spending.isCompletedExceptionally() && spending.join().period != period;
    }

    private CompletableFuture<Spending> load(long keyId, BudgetPeriod period) {
        CompletableFuture<Spending> loading = CompletableFuture.supplyAsync(() -> {
            Instant start = period.start(clock.instant());
            return new Spending(period, start, keys.spend(keyId, start).sinceNano());
        }, blockingExecutor);
        // A failed read (database down) must not be remembered. Async, because this may be
        // called inside the map's compute() and must not touch the map from there.
        loading.whenCompleteAsync((spending, failure) -> {
            if (failure != null) {
                byKeyId.remove(keyId, loading);
            }
        }, blockingExecutor);
        return loading;
    }

    /** One key's running totals for its current period. Guarded by its own monitor. */
    private static final class Spending {
        final BudgetPeriod period;
        Instant periodStart;
        long spentNano;
        long reservedNano;

        Spending(BudgetPeriod period, Instant periodStart, long spentNano) {
            this.period = period;
            this.periodStart = periodStart;
            this.spentNano = spentNano;
        }

        /** A new period starts with nothing spent; what running requests hold stays held. */
        void rollTo(Instant currentStart) {
            if (currentStart.isAfter(periodStart)) {
                periodStart = currentStart;
                spentNano = 0;
            }
        }
    }

    /** A request's maximum cost held against its key's budget until {@link #charged} says what it cost. */
    public static final class BudgetHold {

        static final BudgetHold NONE = new BudgetHold(null, 0);

        private final Spending spending;
        private final long maxCostNano;
        private final AtomicBoolean done = new AtomicBoolean();

        private BudgetHold(Spending spending, long maxCostNano) {
            this.spending = spending;
            this.maxCostNano = maxCostNano;
        }

        /** Replaces the held maximum with what the request was charged (0 if nothing); only the first call counts. */
        public void charged(long costNano) {
            if (spending == null || !done.compareAndSet(false, true)) {
                return;
            }
            synchronized (spending) {
                spending.reservedNano -= maxCostNano;
                spending.spentNano = Math.addExact(spending.spentNano, costNano);
            }
        }
    }
}
