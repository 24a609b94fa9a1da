package dev.mercato.gateway.billing;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.GroupCommit;
import dev.mercato.ledger.HoldRequest;
import dev.mercato.ledger.InsufficientBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.LedgerFailure;
import dev.mercato.ledger.SettleRequest;
import dev.mercato.ledger.Settlement;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.Usdc;
import dev.mercato.protocol.TokenUsage;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * The money steps of the request path: admit a request's maximum cost before it is forwarded,
 * then post what it actually cost (split between the serving operator and the platform) or
 * release it untouched. Admission comes from the gateway's lease of the account ({@link Leases}):
 * in memory when the lease covers it, so a consumer waits for no database round trip, with the
 * request's own hold written a moment later. Settles go through group commit: whatever arrives
 * while one ledger transaction runs is written by the next one, and each lingers a little to fill
 * its batch, since nobody waits for it. Ledger calls never run on an event loop.
 */
@Singleton
@Context // creates the system accounts at start-up, before any request or admin call needs them
public class Billing {

    private static final Logger LOG = LoggerFactory.getLogger(Billing.class);

    public static final String CLEARING = "clearing:inference";
    public static final String FEE = "revenue:fee";
    public static final String DEV_CREDIT_SOURCE = "equity:dev-credit";
    /** A hold outlives the request's deadline by this much before the sweeper may void it. */
    static final Duration HOLD_GRACE = Duration.ofMinutes(2);
    /** A lease's expiry: far beyond the idle time after which it is given back, so only a gone gateway's expires. */
    static final Duration LEASE_TTL = Duration.ofMinutes(10);
    /** How long shutting down waits for the last holds to be written and the leases given back. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /** Known ledger accounts, so each is created once per gateway rather than once per request. */
    private static final int MAX_KNOWN_ACCOUNTS = 1_000_000;

    private final Ledger ledger;
    private final PriceBook prices;
    private final ExecutorService blockingExecutor;
    private final Clock clock;
    private final Set<String> knownAccounts = ConcurrentHashMap.newKeySet();
    private final Leases leases;
    private final GroupCommit<SettleRequest, Settlement> settles;

    public Billing(Ledger ledger, PriceBook prices, @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor,
                   Clock clock, @Value("${mercato.billing.max-batch:256}") int maxBatch,
                   @Value("${mercato.billing.max-queued:10000}") int maxQueued,
                   @Value("${mercato.billing.settle-linger:20ms}") Duration settleLinger,
                   @Value("${mercato.billing.lease-linger:20ms}") Duration leaseLinger,
                   @Value("${mercato.billing.lease-idle:5s}") Duration leaseIdle,
                   @Value("${mercato.billing.lease-requests:16}") int leaseRequests,
                   @Value("${mercato.billing.lease-max-usdc:10}") String leaseMaxUsdc) {
        this.ledger = ledger;
        this.prices = prices;
        this.blockingExecutor = blockingExecutor;
        this.clock = clock;
        ledger.ensureAccount(CLEARING, AccountFlags.SYSTEM);
        ledger.ensureAccount(FEE, AccountFlags.SYSTEM);
        ledger.ensureAccount(DEV_CREDIT_SOURCE, AccountFlags.SOURCE);
        this.leases = new Leases(ledger, CLEARING, blockingExecutor, clock, new LeaseSettings(leaseLinger, leaseIdle,
            leaseRequests, Usdc.parse(leaseMaxUsdc), LEASE_TTL), maxQueued);
        // Nobody waits for a settle, so each lingers to share its transaction.
        this.settles = new GroupCommit<>("ledger-settles", Math.min(maxBatch, Ledger.MAX_BATCH), maxQueued,
            settleLinger, ledger::settleAll, blockingExecutor);
    }

    /** Writes what is queued, then stops taking more. */
    @PreDestroy
    void close() {
        leases.close(CLOSE_TIMEOUT);
        settles.close();
    }

    public static String userAccount(long accountId) {
        return "user:" + accountId;
    }

    public static String providerAccount(long operatorId) {
        return "provider:" + operatorId;
    }

    /**
     * The request's maximum cost at the price in force now: every input byte at the dearest
     * input price plus its output bound (the request's own, or the model's ceiling). The price
     * is the one charged, even if it changes while the request runs.
     */
    public Quote quote(String model, long inputBytes, Long maxOutputTokens) {
        ModelPrice price = prices.current(model);
        long outputBound = maxOutputTokens != null ? maxOutputTokens : price.maxOutputTokens();
        return new Quote(price, Pricing.maxCostNano(inputBytes, outputBound, price));
    }

    /** A price and the most a request can cost at it, in nano-USDC. */
    public record Quote(ModelPrice price, long maxCostNano) {
    }

    /**
     * Reserves the quoted maximum cost. Completes exceptionally with {@code insufficient_balance}
     * when the balance cannot cover it; nothing is forwarded then.
     */
    public CompletableFuture<Hold> reserve(long accountId, Quote quote, String requestId, Duration deadline) {
        ModelPrice price = quote.price();
        long maxCostNano = quote.maxCostNano();
        String account = userAccount(accountId);
        UUID holdId = TransferIds.of("hold", requestId);
        HoldRequest request = new HoldRequest(holdId, account, CLEARING, maxCostNano,
            clock.instant().plus(deadline).plus(HOLD_GRACE), "inference", requestId);
        return ensure(account, AccountFlags.USER)
            .thenCompose(known -> {
                Leases.Admission admission = leases.admit(request);
                Hold hold = new Hold(holdId, account, price, maxCostNano, admission.stored());
                return admission.admitted().thenApply(admitted -> hold);
            })
            .handle((hold, failure) -> {
                if (failure == null) {
                    return hold;
                }
                Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                if (cause instanceof InsufficientBalance e) {
                    throw new ApiError.Exception(ApiError.of(ErrorCode.INSUFFICIENT_BALANCE, "Your balance of $"
                        + Usdc.format(e.balanceNano()) + " cannot cover this request's maximum cost of $"
                        + Usdc.format(e.neededNano()) + "; deposit USDC or lower the request's maximum output tokens."));
                }
                if (cause instanceof LedgerFailure e) {
                    LOG.error("could not reserve {} nano for request {}", maxCostNano, requestId, e);
                    throw new ApiError.Exception(ApiError.of(ErrorCode.BILLING_UNAVAILABLE, "Billing cannot take this "
                        + "request right now; it was not forwarded and nothing was charged. Retry shortly.")
                        .withRetryAfter(1));
                }
                throw failure instanceof CompletionException completion ? completion : new CompletionException(cause);
            });
    }

    /** What this gateway's lease of the account keeps for its next requests: the consumer's money, not yet spent. */
    public long leasedUnusedNano(long accountId) {
        return leases.unusedNano(userAccount(accountId));
    }

    /**
     * Charges what the request actually used at the price of its admission, credits the operator
     * its share and the platform the rest; a request that used nothing is released instead.
     * Runs after the consumer has its answer, off the response's path; completes with what was posted.
     */
    public CompletableFuture<Long> settle(Hold hold, TokenUsage usage, long operatorId) {
        long costNano = Pricing.costNano(usage, hold.price());
        if (costNano == 0) {
            return release(hold);
        }
        long shareNano = Pricing.providerShareNano(hold.chargedNano(usage), hold.price().providerShareBps());
        String provider = providerAccount(operatorId);
        return hold.stored()
            .thenCompose(stored -> ensure(provider, AccountFlags.PROVIDER))
            .thenCompose(known -> settles.submit(new SettleRequest(hold.holdId(), costNano, provider, FEE, shareNano)))
            .thenApply(settlement -> {
                if (settlement.overageNano() > 0) {
                    LOG.warn("hold {} was {} nano short of the actual cost; posted the hold in full", hold.holdId(),
                        settlement.overageNano());
                }
                return settlement.postedNano();
            }).whenComplete((posted, failure) -> {
            if (failure != null) {
                // The hold stays pending and the sweeper resolves it; the failure must be seen.
                LOG.error("could not settle hold {} for {} nano", hold.holdId(), costNano, failure);
            }
        });
    }

    /** Releases a hold without charge: the request failed before producing anything billable. Completes with 0. */
    public CompletableFuture<Long> release(Hold hold) {
        return hold.stored().thenApplyAsync(stored -> {
                ledger.release(hold.holdId());
                return 0L;
            }, blockingExecutor)
            .whenComplete((done, failure) -> {
                if (failure != null) {
                    LOG.error("could not release hold {}", hold.holdId(), failure);
                }
            });
    }

    /** Most batches folded in one scheduled run, so a backlog is worked off without starving other work. */
    static final int MAX_ROLL_UP_BATCHES_PER_RUN = 20;

    /**
     * Folds the hot accounts' batched counters often, so their balances are read cheaply. One
     * batch holds at most the ledger's limit; a full batch means more are waiting, so go on.
     */
    @Scheduled(fixedDelay = "1s", initialDelay = "1s")
    void rollUp() {
        for (int batch = 0; batch < MAX_ROLL_UP_BATCHES_PER_RUN; batch++) {
            if (ledger.rollUp() < Ledger.ROLL_UP_BATCH_LIMIT) {
                return;
            }
        }
    }

    /** Voids holds left behind by a crash, well within the ledger's promised sweep period. */
    @Scheduled(fixedDelay = "5s", initialDelay = "5s")
    void sweep() {
        int voided = ledger.sweepExpiredHolds();
        if (voided > 0) {
            LOG.warn("voided {} expired hold(s) left behind by unfinished requests", voided);
        }
    }

    /** Creates the ledger account on its first use by this gateway, on the blocking executor; at once after that. */
    private CompletableFuture<Void> ensure(String account, AccountFlags flags) {
        if (knownAccounts.contains(account)) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> {
            ledger.ensureAccount(account, flags);
            if (knownAccounts.size() >= MAX_KNOWN_ACCOUNTS) {
                knownAccounts.clear();
            }
            knownAccounts.add(account);
        }, blockingExecutor);
    }
}
