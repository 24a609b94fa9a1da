package dev.mercato.gateway.billing;

import dev.mercato.ledger.HoldRequest;
import dev.mercato.ledger.LeaseRenewal;
import dev.mercato.ledger.LeaseRenewed;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.LedgerFailure;
import dev.mercato.ledger.Outcome;
import dev.mercato.ledger.TransferIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission from memory. For each consumer account it serves, the gateway keeps a lease: a hold on
 * the account's balance, sized for the next few requests. A request whose maximum cost fits in
 * what is left of the lease is admitted at once, with no database round trip; its own hold is
 * written a moment later, with the others admitted meanwhile, by one ledger step that voids the
 * lease, takes those holds from it and reserves the next lease (see {@link Ledger#renewLease}).
 * The account's balance is never promised twice: what a lease admits it had already reserved.
 *
 * <p>A request that does not fit (the first one, or one larger than what is left) waits for a
 * step made at once, in which its hold is judged against the lease's remainder plus whatever
 * else is free, exactly as a plain reserve would judge it. While that step runs, every other
 * request of the account waits too, so that nothing is admitted against a remainder the step
 * may hand to the waiting ones. A lease unused for {@code idle} is given back. One step per
 * account runs at a time; steps of different accounts run side by side on the blocking executor.
 */
final class Leases {

    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);
    /** Holds written in one lease step at most: the ledger's batch limit, less one for the step itself. */
    static final int MAX_HOLDS_PER_STEP = Ledger.MAX_BATCH - 1;
    /** A step whose answer was lost is run again once after this, with the same ids, so it is not done twice. */
    private static final Duration RETRY_AFTER = Duration.ofMillis(200);

    private final Ledger ledger;
    private final String creditKey;
    private final ExecutorService blockingExecutor;
    private final Clock clock;
    private final LeaseSettings settings;
    private final int maxWaiting;
    private final ScheduledExecutorService timer;
    private final String instance = UUID.randomUUID().toString();
    private final AtomicLong steps = new AtomicLong();
    private final ConcurrentHashMap<String, AccountLease> accounts = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Leases(Ledger ledger, String creditKey, ExecutorService blockingExecutor, Clock clock, LeaseSettings settings,
           int maxWaiting) {
        this.ledger = ledger;
        this.creditKey = creditKey;
        this.blockingExecutor = blockingExecutor;
        this.clock = clock;
        this.settings = settings;
        this.maxWaiting = maxWaiting;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("ledger-leases").daemon()
            .factory());
    }

    /** A request's hold: admitted once {@code admitted} completes, written to the ledger once {@code stored} does. */
    record Admission(CompletableFuture<Void> admitted, CompletableFuture<Void> stored) {
    }

    /**
     * Admits a hold from the account's lease if it fits, else through a lease step made now.
     * {@code admitted} fails with the ledger's {@link dev.mercato.ledger.InsufficientBalance} when
     * the balance cannot cover it, or with a {@link LedgerFailure} when the ledger cannot be reached.
     * {@code stored} fails only when the hold could not be written after it was admitted; the
     * request is then charged nothing.
     */
    Admission admit(HoldRequest hold) {
        if (closed) {
            throw new LedgerFailure("the gateway is shutting down", null);
        }
        while (true) {
            AccountLease lease = accounts.computeIfAbsent(hold.debitKey(), AccountLease::new);
            synchronized (lease) {
                if (lease.retired) {
                    continue; // given back meanwhile: a fresh one takes its place
                }
                return lease.admit(hold);
            }
        }
    }

    /** What this gateway's lease of the account holds and has not admitted yet: the account's own money, not spent. */
    long unusedNano(String accountKey) {
        AccountLease lease = accounts.get(accountKey);
        if (lease == null) {
            return 0;
        }
        synchronized (lease) {
            return Math.max(0, lease.remainingNano());
        }
    }

    /** Writes every admitted hold and gives every lease back, waiting up to {@code timeout} in all. */
    void close(Duration timeout) {
        closed = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        for (AccountLease lease : accounts.values()) {
            synchronized (lease) {
                lease.closing = true;
                ends.add(lease.ended);
                lease.schedule(Duration.ZERO);
            }
        }
        try {
            CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new))
                .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            LOG.error("leases not all given back within {}; the sweeper voids them after they expire", timeout, e);
        }
        timer.shutdownNow();
    }

    /** A request's hold admitted or waiting, with the futures its caller follows. */
    private record Pending(HoldRequest hold, CompletableFuture<Void> admitted, CompletableFuture<Void> stored) {
    }

    /** The lease of one account. Every field is guarded by the object's own lock. */
    private final class AccountLease {
        private final String accountKey;
        /** The lease in the ledger now, or null; and its amount. */
        private UUID leaseId;
        private long leaseNano;
        /** Admitted from the lease, in the step now running. */
        private long steppingNano;
        /** Admitted from the lease, not yet in a step. */
        private final ArrayDeque<Pending> admitted = new ArrayDeque<>();
        private long admittedNano;
        /** Not admitted: waiting for a step made at once. */
        private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
        private boolean stepping;
        /** A step that judges waiting holds, or ends the lease, runs: until it ends, nothing is admitted from memory. */
        private boolean judging;
        private ScheduledFuture<?> scheduled;
        private long scheduledAtNanos;
        private long lastAdmittedNanos = System.nanoTime();
        /** The next lease's size: enough for a few requests like the last one. */
        private long targetNano;
        private boolean closing;
        private boolean retired;
        private final CompletableFuture<Void> ended = new CompletableFuture<>();

        AccountLease(String accountKey) {
            this.accountKey = accountKey;
        }

        long remainingNano() {
            return leaseNano - steppingNano - admittedNano;
        }

        Admission admit(HoldRequest hold) {
            if (closing) {
                throw new LedgerFailure("the gateway is shutting down", null);
            }
            lastAdmittedNanos = System.nanoTime();
            // A request dearer than the largest lease is judged on its own: no lease would ever admit it.
            targetNano = hold.amountNano() > settings.maxLeaseNano() ? 0
                : Math.min(settings.maxLeaseNano(), saturatedTimes(hold.amountNano(), settings.requestsPerLease()));
            Pending pending = new Pending(hold, new CompletableFuture<>(), new CompletableFuture<>());
            if (!judging && waiting.isEmpty() && hold.amountNano() <= remainingNano()) {
                admitted.add(pending);
                admittedNano += hold.amountNano();
                pending.admitted().complete(null);
                boolean full = admitted.size() >= MAX_HOLDS_PER_STEP || remainingNano() < targetNano / 2;
                schedule(full ? Duration.ZERO : settings.linger());
            } else {
                if (waiting.size() >= maxWaiting) {
                    throw new LedgerFailure(waiting.size() + " requests of " + accountKey
                        + " already wait for the ledger", null);
                }
                waiting.add(pending);
                schedule(Duration.ZERO);
            }
            return new Admission(pending.admitted(), pending.stored());
        }

        /** Runs a step after {@code delay}, or sooner if one is already due sooner; after the running one ends. */
        void schedule(Duration delay) {
            if (stepping) {
                return; // the running step schedules the next when it ends
            }
            if (timer.isShutdown()) {
                return; // closed and past its timeout: the sweeper voids what is left when it expires
            }
            long dueNanos = System.nanoTime() + delay.toNanos();
            if (scheduled != null && !scheduled.isDone()) {
                if (scheduledAtNanos <= dueNanos) {
                    return;
                }
                scheduled.cancel(false);
            }
            scheduledAtNanos = dueNanos;
            if (delay.isZero()) {
                scheduled = null;
                blockingExecutor.execute(this::step);
            } else {
                scheduled = timer.schedule(() -> blockingExecutor.execute(this::step), delay.toNanos(),
                    TimeUnit.NANOSECONDS);
            }
        }

        /** One lease step: writes the admitted holds, judges the waiting ones, and sizes (or ends) the lease. */
        void step() {
            LeaseRenewal renewal;
            List<Pending> fromLease = new ArrayList<>();
            List<Pending> judged = new ArrayList<>();
            long floorNano;
            synchronized (this) {
                if (stepping || retired) {
                    return;
                }
                scheduled = null;
                boolean idle = System.nanoTime() - lastAdmittedNanos >= settings.idle().toNanos();
                if (admitted.isEmpty() && waiting.isEmpty()) {
                    if (leaseId == null) {
                        retire();
                        return;
                    }
                    if (!idle && !closing) {
                        schedule(settings.idle().minusNanos(System.nanoTime() - lastAdmittedNanos));
                        return;
                    }
                }
                while (!admitted.isEmpty() && fromLease.size() < MAX_HOLDS_PER_STEP) {
                    Pending pending = admitted.poll();
                    admittedNano -= pending.hold().amountNano();
                    steppingNano += pending.hold().amountNano();
                    fromLease.add(pending);
                }
                // Waiting holds are judged only in a step that leaves nothing admitted outside it.
                if (admitted.isEmpty()) {
                    while (!waiting.isEmpty() && fromLease.size() + judged.size() < MAX_HOLDS_PER_STEP) {
                        judged.add(waiting.poll());
                    }
                }
                boolean end = closing || (idle && admitted.isEmpty() && waiting.isEmpty() && judged.isEmpty());
                // A step that judges holds, or ends the lease, admits nothing from memory while it runs:
                // the remainder it hands to the judged holds, or gives back, is not there to admit from.
                judging = !judged.isEmpty() || end;
                // What the lease keeps for holds admitted while this step runs.
                floorNano = judging ? 0 : leaseNano - steppingNano;
                long maxNano = end ? 0 : judging ? targetNano : Math.max(floorNano, targetNano);
                List<HoldRequest> holds = new ArrayList<>();
                fromLease.forEach(pending -> holds.add(pending.hold()));
                judged.forEach(pending -> holds.add(pending.hold()));
                renewal = new LeaseRenewal(leaseId, accountKey, creditKey, holds,
                    TransferIds.of("lease", instance, Long.toString(steps.incrementAndGet())), maxNano,
                    clock.instant().plus(settings.ttl()));
                stepping = true;
            }
            LeaseRenewed renewed;
            boolean retried = false;
            try {
                try {
                    renewed = ledger.renewLease(renewal);
                } catch (LedgerFailure first) {
                    // The step may have committed with its answer lost: the same ids make running it again safe.
                    LOG.warn("lease step of {} failed; trying it once more in {}", accountKey, RETRY_AFTER, first);
                    Thread.sleep(RETRY_AFTER);
                    retried = true;
                    renewed = ledger.renewLease(renewal);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed(fromLease, judged, new LedgerFailure("interrupted while retrying a lease step", e));
                return;
            } catch (RuntimeException e) {
                failed(fromLease, judged, e);
                return;
            }
            synchronized (this) {
                // A run again finds the lease voided by the first one, if that one committed.
                if (renewal.leaseId() != null && !renewed.leaseWasLive() && !retried) {
                    LOG.error("lease {} of {} was voided before this gateway renewed it (swept after it expired?); its "
                        + "holds were judged against the free balance instead", renewal.leaseId(), accountKey);
                }
                leaseId = renewed.nextLeaseNano() > 0 ? renewal.nextLeaseId() : null;
                leaseNano = renewed.nextLeaseNano();
                steppingNano = 0;
                if (leaseNano < floorNano) {
                    LOG.error("lease of {} is {} nano, short of the {} nano admitted meanwhile: those requests are "
                        + "charged only as far as their holds can still be written", accountKey, leaseNano, floorNano);
                }
                for (int i = 0; i < fromLease.size(); i++) {
                    Outcome<Void> outcome = renewed.holds().get(i);
                    Pending pending = fromLease.get(i);
                    if (outcome.isDone()) {
                        pending.stored().complete(null);
                    } else {
                        LOG.error("hold {} admitted from the lease of {} could not be written; its request is charged "
                            + "nothing", pending.hold().holdId(), accountKey, outcome.refusal());
                        pending.stored().completeExceptionally(outcome.refusal());
                    }
                }
                for (int i = 0; i < judged.size(); i++) {
                    Outcome<Void> outcome = renewed.holds().get(fromLease.size() + i);
                    Pending pending = judged.get(i);
                    if (outcome.isDone()) {
                        pending.admitted().complete(null);
                        pending.stored().complete(null);
                    } else {
                        pending.admitted().completeExceptionally(outcome.refusal());
                        pending.stored().completeExceptionally(outcome.refusal());
                    }
                }
                afterStep();
            }
        }

        /** Nothing of the step was written: the lease stands as it was, its admitted holds are charged nothing. */
        private void failed(List<Pending> fromLease, List<Pending> judged, RuntimeException e) {
            LOG.error("lease step of {} failed: {} admitted request(s) will be charged nothing, {} waiting one(s) are "
                + "refused", accountKey, fromLease.size(), judged.size(), e);
            synchronized (this) {
                steppingNano = 0;
                if (!(e instanceof LedgerFailure) || closing) {
                    // The ledger refused the lease itself: forget it and let the sweeper void it when it expires.
                    leaseId = null;
                    leaseNano = 0;
                }
                fromLease.forEach(pending -> pending.stored().completeExceptionally(e));
                judged.forEach(pending -> {
                    pending.admitted().completeExceptionally(e);
                    pending.stored().completeExceptionally(e);
                });
                afterStep();
            }
        }

        /** Guarded by this: schedules what the ended step left to do. */
        private void afterStep() {
            stepping = false;
            judging = false;
            if (closing && leaseId == null && waiting.isEmpty() && admitted.isEmpty()) {
                retire();
            } else if (!waiting.isEmpty() || closing) {
                schedule(Duration.ZERO);
            } else if (!admitted.isEmpty()) {
                schedule(settings.linger());
            } else if (leaseId == null) {
                retire();
            } else {
                schedule(settings.idle());
            }
        }

        /** Guarded by this: the account has no lease and nothing pending, so it leaves the map. */
        private void retire() {
            if (leaseId == null && admitted.isEmpty() && waiting.isEmpty() && !stepping) {
                retired = true;
                accounts.remove(accountKey, this);
                ended.complete(null);
            }
        }
    }

    private static long saturatedTimes(long amountNano, int times) {
        long high = Math.multiplyHigh(amountNano, times);
        return high != 0 ? Long.MAX_VALUE : amountNano * times;
    }
}
