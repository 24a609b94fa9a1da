package dev.mercato.ledger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The ledger (ledger.md): accounts, single-phase transfers, holds that are reserved, settled or
 * released, the sweeper for expired holds, the roll-up of batched postings, and the invariant
 * check. Money is integer nano-USDC; every transfer id is an idempotency key; every operation is
 * one PostgreSQL transaction, retried on serialization failures and deadlocks.
 */
public final class Ledger {

    /**
     * What each of the ledger's database connections must run when it opens (Hikari's
     * {@code connectionInitSql}). Generic plans: its statements are the same few shapes with
     * different values, and planning each one afresh cost a fifth of a reserve's time. A lock
     * timeout: the bound on how long any statement waits for a row or advisory lock, kept by the
     * server; a client-side query timeout instead scheduled a task on one shared, synchronized
     * timer for every statement, which showed as a twentieth of the gateway's busy samples.
     */
    public static final String CONNECTION_INIT_SQL = "set plan_cache_mode = force_generic_plan; set lock_timeout = '"
        + Postings.LOCK_WAIT_SECONDS + "s'";

    /** Where the ledger's Flyway migrations (V100 and up) are; add it to the owner's Flyway locations. */
    public static final String MIGRATIONS_LOCATION = "classpath:db/ledger";

    /**
     * The longest the owner may leave between two {@link #sweepExpiredHolds()} calls.
     * {@link #checkInvariants()} reports a live hold that expired longer ago than this.
     */
    public static final Duration MAX_SWEEP_PERIOD = Duration.ofSeconds(10);

    /** The most deltas one {@link #rollUp()} folds, so one roll-up transaction stays short. */
    public static final int ROLL_UP_BATCH_LIMIT = 10_000;

    /** Expired holds read per round of a sweep. */
    static final int SWEEP_BATCH_SIZE = 500;

    /** Rounds per sweep call (up to 500,000 holds); the next call continues where this one stopped. */
    static final int MAX_SWEEP_ROUNDS = 1_000;

    /** Accounts whose ids and flags are remembered; the cache is emptied when it is full. */
    static final int MAX_CACHED_ACCOUNTS = 65_536;

    /** The most requests one batch call takes, so one transaction and its statements stay bounded. */
    public static final int MAX_BATCH = 1_000;

    static final int MAX_KEY_CHARS = 200;
    static final int MAX_USER_DATA_CHARS = 1_000;

    /** The code of a settlement's transfer from the clearing account to the serving operator. */
    public static final String SHARE_CODE = "provider_share";

    /** The code of a settlement's transfer from the clearing account to the platform's fee account. */
    public static final String FEE_CODE = "platform_fee";

    // Namespaces of the ids derived from a hold id; changing one would break idempotency for stored holds.
    static final String POST_IDS = "ledger.post";
    static final String VOID_IDS = "ledger.void";
    static final String SHARE_IDS = "ledger.share";
    static final String FEE_IDS = "ledger.fee";

    private static final Pattern ACCOUNT_KEY = Pattern.compile("[a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)+");
    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    private final Transactions transactions;
    private final Clock clock;
    private final Map<String, Account> accountsByKey = new ConcurrentHashMap<>();

    public Ledger(DataSource dataSource, Clock clock) {
        this.transactions = new Transactions(Objects.requireNonNull(dataSource, "dataSource"));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Creates the account if absent (idempotent); returns its id.
     *
     * @throws IllegalArgumentException if the key is malformed, or the account exists with other flags
     */
    public long ensureAccount(String key, AccountFlags flags) {
        requireKey(key);
        Objects.requireNonNull(flags, "flags");
        Account account = accountsByKey.get(key);
        if (account == null) {
            account = transactions.run("ensure account " + key, connection -> insertOrFindAccount(connection, key, flags));
            remember(account);
        }
        if (!account.flags().equals(flags)) {
            throw new IllegalArgumentException("account " + key + " exists with " + account.flags() + ", not " + flags);
        }
        return account.id();
    }

    /**
     * A single-phase transfer, idempotent on {@code id}.
     *
     * @throws InsufficientBalance if the debit account's balance flag refuses it
     * @throws TransferConflict if {@code id} exists with different fields
     */
    public void transfer(UUID id, String debitKey, String creditKey, long amountNano, String code, String userData) {
        transferAll(List.of(new TransferRequest(id, debitKey, creditKey, amountNano, code, userData)), connection -> { });
    }

    /**
     * Posts single-phase transfers and runs the caller's {@code work} in one database transaction:
     * all of it commits, or none of it. The work runs first, so it can take its own row locks
     * and refuse (by throwing) before any account is locked or written; then the accounts the
     * new transfers touch are locked in ascending id order, checked and updated.
     *
     * <p>Idempotent on each transfer id, as {@link #transfer} is: a transfer already stored (or
     * repeated earlier in the list) with the same fields is a no-op. This is what lets a caller
     * record an outside event (an on-chain deposit) together with its own bookkeeping (a scan
     * cursor) and deliver it again after a crash without crediting it twice.
     *
     * @param requests at most {@link #MAX_BATCH}; may be empty, then only the work runs
     * @throws TransferConflict if a transfer id exists with different fields; nothing is written
     * @throws InsufficientBalance if a debit account's balance flag refuses a transfer; nothing is written
     * @throws LedgerFailure if the database failed (the work's own SQL errors included); nothing is written
     * @throws IllegalArgumentException if a request is malformed or the list is longer than {@link #MAX_BATCH}
     */
    public void transferAll(List<TransferRequest> requests, SqlWork work) {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(work, "work");
        if (requests.size() > MAX_BATCH) {
            throw new IllegalArgumentException("a batch holds at most " + MAX_BATCH + " transfers, got " + requests.size());
        }
        for (TransferRequest request : requests) {
            Objects.requireNonNull(request.id(), "id");
            requireTransferFields(request.debitKey(), request.creditKey(), request.amountNano(), request.code(),
                request.userData());
        }
        transactions.run("transfer " + requests.size() + " transfer(s) with the caller's work", connection -> {
            work.run(connection);
            if (requests.isEmpty()) {
                return null;
            }
            List<Transfer> transfers = new ArrayList<>(requests.size());
            for (TransferRequest request : requests) {
                transfers.add(new Transfer(request.id(), account(connection, request.debitKey()),
                    account(connection, request.creditKey()), request.amountNano(), request.code(),
                    Transfer.Phase.SINGLE, null, null, request.userData()));
            }
            Map<UUID, Transfer> stored = findTransfers(connection, transfers.stream().map(Transfer::id).distinct().toList());
            Map<UUID, Transfer> fresh = new LinkedHashMap<>();
            for (Transfer transfer : transfers) {
                Transfer earlier = stored.containsKey(transfer.id()) ? stored.get(transfer.id()) : fresh.get(transfer.id());
                if (earlier == null) {
                    fresh.put(transfer.id(), transfer);
                } else {
                    String difference = transfer.firstDifference(earlier);
                    if (difference != null) {
                        throw new TransferConflict(transfer.id(), difference);
                    }
                }
            }
            if (fresh.isEmpty()) {
                return null;
            }
            List<Transfer.Move> moves = new ArrayList<>();
            fresh.values().forEach(transfer -> moves.addAll(transfer.moves(0)));
            Postings.Locked locked = Postings.lock(connection, moves);
            Writes writes = new Writes(now());
            writes.insertTransfers(List.copyOf(fresh.values()));
            Postings.stage(locked, moves, writes);
            // A transfer found free above but written meanwhile by another transaction makes this run again and see it.
            requireAllInserted(writes.execute(connection), fresh.size(), 0);
            return null;
        });
    }

    /**
     * A pending hold, idempotent on {@code holdId}: moves {@code amountNano} into the debit account's
     * debits pending and the credit account's credits pending until it is settled, released or swept.
     * {@code expiresAt} is kept to the microsecond.
     *
     * @throws InsufficientBalance (balanceNano, neededNano) if the debit account cannot cover it
     * @throws TransferConflict if {@code holdId} exists with different fields
     * @throws IllegalArgumentException if a new hold would already have expired
     */
    public void reserve(UUID holdId, String debitKey, String creditKey, long amountNano, Instant expiresAt,
                        String code, String userData) {
        reserveAll(List.of(new HoldRequest(holdId, debitKey, creditKey, amountNano, expiresAt, code, userData)))
            .getFirst().getOrThrow();
    }

    /**
     * Reserves one hold and runs the caller's {@code work} in one database transaction: both
     * commit, or neither does. The work runs first (see {@link SqlWork}); then the hold is judged
     * as {@link #reserve} judges it, and a refusal rolls the work back too. A hold already stored
     * with the same fields is a replay: the work runs again and the hold is left as it is. This
     * lets a caller keep its own record of what a hold is for (a payout request) that exists
     * exactly when the hold does. The commit waits for the WAL flush, unlike a request's reserve.
     *
     * @throws InsufficientBalance (balanceNano, neededNano) if the debit account cannot cover it; nothing is written
     * @throws TransferConflict if the hold id exists with different fields; nothing is written
     * @throws LedgerFailure if the database failed (the work's own SQL errors included); nothing is written
     * @throws IllegalArgumentException if the request is malformed or a new hold would already have expired
     */
    public void reserve(HoldRequest request, SqlWork work) {
        Objects.requireNonNull(request.holdId(), "holdId");
        Objects.requireNonNull(request.expiresAt(), "expiresAt");
        Objects.requireNonNull(work, "work");
        requireTransferFields(request.debitKey(), request.creditKey(), request.amountNano(), request.code(),
            request.userData());
        transactions.run("reserve " + request.holdId() + " with the caller's work", connection -> {
            work.run(connection);
            Transfer hold = new Transfer(request.holdId(), account(connection, request.debitKey()),
                account(connection, request.creditKey()), request.amountNano(), request.code(), Transfer.Phase.PENDING,
                null, request.expiresAt().truncatedTo(ChronoUnit.MICROS), request.userData());
            Transfer earlier = findTransfers(connection, List.of(hold.id())).get(hold.id());
            if (earlier != null) {
                String difference = hold.firstDifference(earlier);
                if (difference != null) {
                    throw new TransferConflict(hold.id(), difference);
                }
                return null;
            }
            Instant now = now();
            if (!hold.expiresAt().isAfter(now)) {
                throw new IllegalArgumentException("hold " + hold.id() + " would expire at " + hold.expiresAt()
                    + ", which is not after now (" + now + ")");
            }
            List<Transfer.Move> moves = hold.moves(0);
            Postings.Locked locked = Postings.lock(connection, moves);
            Writes writes = new Writes(now);
            writes.insertTransfers(List.of(hold));
            writes.insertLiveHolds(List.of(hold));
            Postings.stage(locked, moves, writes);
            // A hold found free above but written meanwhile by another transaction makes this run again and see it.
            requireAllInserted(writes.execute(connection), 1, 0);
            return null;
        });
    }

    /**
     * Reserves many holds in one transaction, each exactly as {@link #reserve} would and in list
     * order: a hold the balance cannot cover is refused while those around it go through, and a
     * repeated hold id is a replay of the first. One round of row locks and one commit serve the
     * whole list, which is what lets one busy account admit thousands of requests a second.
     *
     * <p>The commit does not wait for the WAL flush: the holds are committed, visible and checked
     * against the balance before this returns, so nothing is ever admitted beyond a balance, but a
     * database crash in the next few hundred milliseconds may lose them. A hold so lost belonged to
     * a request in flight at the crash, and the ledger already charges nothing for those (the
     * sweeper voids their holds); its settle or release then finds no hold and says so. Waiting for
     * the flush would cost every request a disk write while a consumer waits, and keep the
     * consumer's row locked through it, which is where concurrent reserves of one account queued.
     *
     * @return one outcome per request, in order; a refusal is what {@link #reserve} would have thrown
     * @throws LedgerFailure if the database failed; then none of them is reserved
     * @throws IllegalArgumentException if the list is empty or longer than {@link #MAX_BATCH}
     */
    public List<Outcome<Void>> reserveAll(List<HoldRequest> requests) {
        requireBatchSize(requests);
        int size = requests.size();
        List<Outcome<Void>> checked = checkHoldRequests(requests, null);
        return transactions.run("reserve " + size + " hold(s)", (connection, firstAttempt) -> {
            List<Outcome<Void>> outcomes = new ArrayList<>(checked); // afresh on every attempt
            Transfer[] holds = new Transfer[size];
            for (int i = 0; i < size; i++) {
                if (outcomes.get(i) == null) {
                    HoldRequest request = requests.get(i);
                    try {
                        holds[i] = new Transfer(request.holdId(), account(connection, request.debitKey()),
                            account(connection, request.creditKey()), request.amountNano(), request.code(),
                            Transfer.Phase.PENDING, null, request.expiresAt().truncatedTo(ChronoUnit.MICROS),
                            request.userData());
                    } catch (IllegalArgumentException e) {
                        outcomes.set(i, Outcome.refused(e));
                    }
                }
            }
            List<Transfer.Move> lockMoves = new ArrayList<>();
            Arrays.stream(holds).filter(Objects::nonNull).forEach(hold -> lockMoves.addAll(hold.moves(0)));
            if (firstAttempt && reserveByGuess(connection, holds, lockMoves)) {
                for (int i = 0; i < size; i++) {
                    if (holds[i] != null) {
                        outcomes.set(i, Outcome.done(null));
                    }
                }
                return outcomes;
            }
            Postings.Locked locked = Postings.lock(connection, lockMoves);
            // Read after the locks: a concurrent reserve of the same id on this account has committed by now.
            Map<UUID, Transfer> stored = findTransfers(connection,
                Arrays.stream(holds).filter(Objects::nonNull).map(Transfer::id).toList());
            Instant now = now();
            HoldJudge judge = new HoldJudge(stored, now, locked, new TreeMap<>(locked.counters()));
            for (int i = 0; i < size; i++) {
                if (holds[i] != null) {
                    outcomes.set(i, judge.judge(holds[i]));
                }
            }
            Writes writes = new Writes(now);
            writes.commitWithoutWaitingForFlush();
            writes.insertTransfers(judge.accepted);
            writes.insertLiveHolds(judge.accepted);
            Postings.stage(locked, judge.acceptedMoves, writes);
            requireAllInserted(writes.execute(connection), judge.accepted.size(), 0);
            return outcomes;
        });
    }

    /**
     * One step of a lease: a hold on an account that a caller (a gateway) keeps so that it can
     * admit requests from memory, and writes the requests' own holds afterwards, batched. In one
     * transaction this voids the lease, reserves {@code holds} in list order (each judged as
     * {@link #reserveAll} judges it, against the balance the void gave back plus whatever else is
     * free), then reserves the next lease: as much of {@code nextLeaseMaxNano} as is still free.
     * The account's counters never see the requests' holds beyond the lease that covered them, so
     * a caller that admitted no more than the lease never has one refused.
     *
     * <p>Idempotent on the ids: run again, it finds the lease voided, the holds stored and the next
     * lease made, and answers as before (a hold refused before is judged again). The commit does
     * not wait for the WAL flush, as for {@link #reserveAll} and for the same reason.
     *
     * @throws TransferConflict if {@code nextLeaseId} exists with different accounts or code
     * @throws LedgerFailure if the database failed; then nothing was written
     * @throws IllegalArgumentException if the renewal is malformed, or {@code leaseId} names a
     *     transfer that is not a lease of this account
     */
    public LeaseRenewed renewLease(LeaseRenewal renewal) {
        Objects.requireNonNull(renewal.nextLeaseId(), "nextLeaseId");
        Objects.requireNonNull(renewal.nextLeaseExpiresAt(), "nextLeaseExpiresAt");
        if (renewal.nextLeaseMaxNano() < 0) {
            throw new IllegalArgumentException("next lease must not be negative, was " + renewal.nextLeaseMaxNano());
        }
        if (renewal.holds().size() >= MAX_BATCH) {
            throw new IllegalArgumentException("a lease step takes at most " + (MAX_BATCH - 1) + " holds, got "
                + renewal.holds().size());
        }
        requireTransferFields(renewal.debitKey(), renewal.creditKey(), 1, LeaseRenewal.CODE, null);
        List<HoldRequest> requests = renewal.holds();
        int size = requests.size();
        List<Outcome<Void>> checked = checkHoldRequests(requests, renewal);
        return transactions.run("renew lease of " + renewal.debitKey(), connection -> {
            List<Outcome<Void>> outcomes = new ArrayList<>(checked); // afresh on every attempt
            Account debit = account(connection, renewal.debitKey());
            Account credit = account(connection, renewal.creditKey());
            List<UUID> ids = new ArrayList<>();
            if (renewal.leaseId() != null) {
                ids.add(renewal.leaseId());
            }
            ids.add(renewal.nextLeaseId());
            requests.forEach(request -> ids.add(request.holdId()));
            Transfer next = new Transfer(renewal.nextLeaseId(), debit, credit, 1, LeaseRenewal.CODE,
                Transfer.Phase.PENDING, null, renewal.nextLeaseExpiresAt().truncatedTo(ChronoUnit.MICROS), null);
            Postings.Locked locked = Postings.lock(connection, next.moves(0));
            // Read after the lock: a sweep or an earlier run of this renewal has committed by now.
            Map<UUID, Transfer> stored = findTransfers(connection, ids.stream().filter(Objects::nonNull).toList());
            Instant now = now();
            Map<Long, Counters> running = new TreeMap<>(locked.counters());
            List<Transfer> inserted = new ArrayList<>();
            List<Transfer> newHolds = new ArrayList<>();
            List<Transfer.Move> moves = new ArrayList<>();
            List<UUID> voided = new ArrayList<>();
            Transfer earlierNext = stored.get(renewal.nextLeaseId());
            if (earlierNext != null) {
                String difference = new Transfer(next.id(), debit, credit, earlierNext.amountNano(), next.code(),
                    next.phase(), null, next.expiresAt(), null).firstDifference(earlierNext);
                if (difference != null) {
                    throw new TransferConflict(next.id(), difference);
                }
            } else if (!next.expiresAt().isAfter(now)) {
                throw new IllegalArgumentException("lease " + next.id() + " would expire at " + next.expiresAt()
                    + ", which is not after now (" + now + ")");
            }
            boolean leaseWasLive = false;
            if (renewal.leaseId() != null) {
                Transfer lease = stored.get(renewal.leaseId());
                if (lease == null || lease.phase() != Transfer.Phase.PENDING || !lease.code().equals(LeaseRenewal.CODE)
                        || lease.debit().id() != debit.id() || lease.credit().id() != credit.id()) {
                    throw new IllegalArgumentException("transfer " + renewal.leaseId() + " is not a lease of "
                        + renewal.debitKey());
                }
                if (resolution(connection, lease.id()) == null) {
                    leaseWasLive = true;
                    Transfer voiding = new Transfer(TransferIds.of(VOID_IDS, lease.id().toString()), debit, credit,
                        lease.amountNano(), lease.code(), Transfer.Phase.VOID, lease.id(), null, null);
                    List<Transfer.Move> voidMoves = voiding.moves(lease.amountNano());
                    Postings.applyInMemory(locked, running, voidMoves);
                    inserted.add(voiding);
                    moves.addAll(voidMoves);
                    voided.add(lease.id());
                }
            }
            HoldJudge judge = new HoldJudge(stored, now, locked, running);
            for (int i = 0; i < size; i++) {
                if (outcomes.get(i) == null) {
                    HoldRequest request = requests.get(i);
                    outcomes.set(i, judge.judge(new Transfer(request.holdId(), debit, credit, request.amountNano(),
                        request.code(), Transfer.Phase.PENDING, null, request.expiresAt().truncatedTo(ChronoUnit.MICROS),
                        request.userData())));
                }
            }
            inserted.addAll(judge.accepted);
            newHolds.addAll(judge.accepted);
            moves.addAll(judge.acceptedMoves);
            long nextNano;
            if (earlierNext != null) {
                nextNano = earlierNext.amountNano();
            } else {
                Counters after = running.get(debit.id());
                long freeNano = debit.flags().debitsMustNotExceedCredits()
                    ? Math.max(0, Math.subtractExact(after.creditsPosted(), after.debitExposure())) : Long.MAX_VALUE;
                nextNano = Math.min(renewal.nextLeaseMaxNano(), freeNano);
                if (nextNano > 0) {
                    Transfer lease = new Transfer(next.id(), debit, credit, nextNano, next.code(), next.phase(), null,
                        next.expiresAt(), null);
                    List<Transfer.Move> leaseMoves = lease.moves(0);
                    Postings.applyInMemory(locked, running, leaseMoves);
                    inserted.add(lease);
                    newHolds.add(lease);
                    moves.addAll(leaseMoves);
                }
            }
            if (inserted.isEmpty()) {
                return new LeaseRenewed(outcomes, nextNano, leaseWasLive);
            }
            Writes writes = new Writes(now);
            writes.commitWithoutWaitingForFlush();
            writes.insertTransfers(inserted);
            writes.deleteLiveHolds(voided);
            writes.insertLiveHolds(newHolds);
            Postings.stage(locked, moves, writes);
            requireAllInserted(writes.execute(connection), inserted.size(), voided.size());
            return new LeaseRenewed(outcomes, nextNano, leaseWasLive);
        });
    }

    /**
     * Judges new holds one by one under the account locks, in list order as separate calls would
     * go: a repeat of a stored or just-admitted hold is its replay (or a conflict), a hold that
     * would already have expired is refused, and the rest are admitted against {@code running}
     * while the balance covers them. A repeat of a refused hold is judged again at its place.
     */
    private static final class HoldJudge {
        private final Map<UUID, Transfer> stored;
        private final Instant now;
        private final Postings.Locked locked;
        private final Map<Long, Counters> running;
        private final Map<UUID, Transfer> acceptedById = new HashMap<>();
        final List<Transfer> accepted = new ArrayList<>();
        final List<Transfer.Move> acceptedMoves = new ArrayList<>();

        HoldJudge(Map<UUID, Transfer> stored, Instant now, Postings.Locked locked, Map<Long, Counters> running) {
            this.stored = stored;
            this.now = now;
            this.locked = locked;
            this.running = running;
        }

        Outcome<Void> judge(Transfer hold) {
            Transfer earlier = stored.containsKey(hold.id()) ? stored.get(hold.id()) : acceptedById.get(hold.id());
            if (earlier != null) {
                String difference = hold.firstDifference(earlier);
                return difference == null ? Outcome.done(null) : Outcome.refused(new TransferConflict(hold.id(), difference));
            }
            if (!hold.expiresAt().isAfter(now)) {
                return Outcome.refused(new IllegalArgumentException("hold " + hold.id() + " would expire at "
                    + hold.expiresAt() + ", which is not after now (" + now + ")"));
            }
            List<Transfer.Move> moves = hold.moves(0);
            try {
                Postings.applyInMemory(locked, running, moves);
            } catch (InsufficientBalance e) {
                return Outcome.refused(e);
            }
            acceptedById.put(hold.id(), hold);
            accepted.add(hold);
            acceptedMoves.addAll(moves);
            return Outcome.done(null);
        }
    }

    /**
     * Posts a hold with the actual cost and, in the same transaction, moves {@code shareNano} from
     * the hold's credit (clearing) account to {@code providerKey} and the rest to {@code feeKey}.
     * The posted amount is min(costNano, held): a cost above the hold posts the hold in full and
     * returns the difference as the overage, so {@code shareNano} is a share of the posted amount
     * and must not exceed it. Idempotent: a second call with the same {@code holdId} is a no-op
     * returning the first result. A hold already voided (released, or swept after it expired)
     * charges nothing: the result posts 0 and returns the whole cost as the overage.
     *
     * @throws IllegalArgumentException if there is no such hold, costNano ≤ 0, or shareNano is
     *     negative or above the posted amount
     */
    public Settlement settle(UUID holdId, long costNano, String providerKey, String feeKey, long shareNano) {
        return settleAll(List.of(new SettleRequest(holdId, costNano, providerKey, feeKey, shareNano)))
            .getFirst().getOrThrow();
    }

    /**
     * Settles many holds in one transaction, each exactly as {@link #settle} would: one round of row
     * locks and one commit for the whole list. A hold named twice is settled once; the repeat
     * returns the first result, as a second {@link #settle} call would.
     *
     * @return one outcome per request, in order; a refusal is what {@link #settle} would have thrown
     * @throws LedgerFailure if the database failed; then none of them is settled
     * @throws IllegalArgumentException if the list is empty or longer than {@link #MAX_BATCH}
     */
    public List<Outcome<Settlement>> settleAll(List<SettleRequest> requests) {
        requireBatchSize(requests);
        int size = requests.size();
        List<Outcome<Settlement>> checked = new ArrayList<>(Collections.nCopies(size, null));
        for (int i = 0; i < size; i++) {
            SettleRequest request = requests.get(i);
            try {
                Objects.requireNonNull(request.holdId(), "holdId");
                if (request.costNano() <= 0) {
                    throw new IllegalArgumentException("cost must be positive, was " + request.costNano()
                        + " nano; release the hold instead");
                }
                if (request.shareNano() < 0) {
                    throw new IllegalArgumentException("provider share must not be negative, was "
                        + request.shareNano() + " nano");
                }
                requireKey(request.providerKey());
                requireKey(request.feeKey());
            } catch (IllegalArgumentException | NullPointerException e) {
                checked.set(i, Outcome.refused(e));
            }
        }
        List<Integer> repeats = new ArrayList<>();
        List<Outcome<Settlement>> outcomes = transactions.run("settle " + size + " hold(s)", (connection, firstAttempt) -> {
            repeats.clear();
            List<Outcome<Settlement>> result = new ArrayList<>(checked); // afresh on every attempt
            List<UUID> holdIds = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                if (result.get(i) == null) {
                    holdIds.add(requests.get(i).holdId());
                }
            }
            Map<UUID, Transfer> holds = findTransfers(connection, holdIds);
            Set<UUID> seen = new HashSet<>();
            Map<Integer, PlannedSettlement> planned = new TreeMap<>();
            Map<Integer, IllegalArgumentException> invalid = new TreeMap<>();
            List<Transfer.Move> lockMoves = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                if (result.get(i) != null) {
                    continue;
                }
                SettleRequest request = requests.get(i);
                UUID holdId = request.holdId();
                try {
                    Transfer hold = requirePending(holdId, holds.get(holdId));
                    if (!seen.add(holdId)) {
                        repeats.add(i);
                        continue;
                    }
                    try {
                        PlannedSettlement plan = settlement(connection, hold, request);
                        planned.put(i, plan);
                        lockMoves.addAll(plan.moves());
                    } catch (IllegalArgumentException e) {
                        invalid.put(i, e); // unless the hold turns out resolved: then it returns that result
                        lockMoves.addAll(hold.moves(0));
                    }
                } catch (IllegalArgumentException e) {
                    result.set(i, Outcome.refused(e));
                }
            }
            if (firstAttempt && invalid.isEmpty() && Postings.canGoUnlocked(lockMoves)) {
                settleByGuess(connection, planned.values());
                planned.forEach((i, plan) -> result.set(i, Outcome.done(plan.settlement())));
                return result;
            }
            Postings.Locked locked = Postings.lock(connection, lockMoves);
            // Read after the locks: a concurrent settle or void of one of these holds has committed by now.
            List<UUID> judged = new ArrayList<>();
            planned.values().forEach(plan -> judged.add(plan.holdId()));
            invalid.keySet().forEach(i -> judged.add(requests.get(i).holdId()));
            Set<UUID> resolved = resolvedHolds(connection, judged);
            List<Transfer> transfers = new ArrayList<>();
            List<Transfer.Move> moves = new ArrayList<>();
            List<UUID> settled = new ArrayList<>();
            List<Writes.SettlementRow> rows = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                SettleRequest request = requests.get(i);
                PlannedSettlement plan = planned.get(i);
                if (plan == null && !invalid.containsKey(i)) {
                    continue;
                }
                if (resolved.contains(request.holdId())) {
                    result.set(i, Outcome.done(resolvedOutcome(connection, request.holdId(), request.costNano())
                        .orElseThrow(() -> new IllegalStateException("hold " + request.holdId() + " is resolved, yet"
                            + " neither settled nor voided"))));
                } else if (plan == null) {
                    result.set(i, Outcome.refused(invalid.get(i)));
                } else {
                    transfers.addAll(plan.transfers());
                    moves.addAll(plan.moves());
                    settled.add(plan.holdId());
                    rows.add(plan.row());
                    result.set(i, Outcome.done(plan.settlement()));
                }
            }
            Writes writes = new Writes(now());
            writes.insertTransfers(transfers);
            writes.deleteLiveHolds(settled);
            writes.insertSettlements(rows);
            Postings.stage(locked, moves, writes);
            requireAllInserted(writes.execute(connection), transfers.size(), settled.size());
            return result;
        });
        // A repeat sees the first one committed, and returns its result as a second call would.
        for (int i : repeats) {
            SettleRequest request = requests.get(i);
            outcomes.set(i, settleAll(List.of(request)).getFirst());
        }
        return outcomes;
    }

    /**
     * The common case of a reserve batch in one statement, without locking or reading first: new
     * holds on one consumer against a batched clearing account, written only if the consumer's row
     * still covers them all. Anything else (a replay, a hold the balance cannot cover, a hold that
     * would expire) makes the guess miss; the transaction rolls back and the careful path judges
     * each hold. Returns false, having written nothing, when the batch is not of that shape.
     */
    private boolean reserveByGuess(Connection connection, Transfer[] holds, List<Transfer.Move> moves)
            throws SQLException {
        Instant now = now();
        List<Transfer> guessed = new ArrayList<>();
        Set<UUID> ids = new HashSet<>();
        for (Transfer hold : holds) {
            if (hold != null) {
                if (!ids.add(hold.id()) || !hold.expiresAt().isAfter(now)) {
                    return false;
                }
                guessed.add(hold);
            }
        }
        if (guessed.isEmpty() || !Postings.canGoUnlocked(moves)) {
            return false;
        }
        Writes writes = new Writes(now);
        writes.commitWithoutWaitingForFlush();
        writes.insertTransfers(guessed);
        writes.insertLiveHolds(guessed);
        int rows = Postings.stageUnlocked(moves, writes);
        writes.commitGuess(connection, new Writes.Done(guessed.size(), 0, rows));
        return true;
    }

    /**
     * The common case of a settle batch in one statement, without locking or reading the holds'
     * resolutions first: if one of them was settled or voided meanwhile, its post collides, the
     * transaction rolls back, and the careful path (which reads them under the lock) runs instead.
     */
    private void settleByGuess(Connection connection, Collection<PlannedSettlement> plans) throws SQLException {
        List<Transfer> transfers = new ArrayList<>();
        List<Transfer.Move> moves = new ArrayList<>();
        List<UUID> settled = new ArrayList<>();
        List<Writes.SettlementRow> rows = new ArrayList<>();
        for (PlannedSettlement plan : plans) {
            transfers.addAll(plan.transfers());
            moves.addAll(plan.moves());
            settled.add(plan.holdId());
            rows.add(plan.row());
        }
        Writes writes = new Writes(now());
        writes.insertTransfers(transfers);
        writes.deleteLiveHolds(settled);
        writes.insertSettlements(rows);
        int accounts = Postings.stageUnlocked(moves, writes);
        writes.commitGuess(connection, new Writes.Done(transfers.size(), settled.size(), accounts));
    }

    /** A settlement about to be written: its transfers, their counter moves and the row that records it. */
    private record PlannedSettlement(UUID holdId, Transfer post, Transfer share, Transfer fee, long costNano,
                                 Settlement settlement, List<Transfer.Move> moves) {

        List<Transfer> transfers() {
            return Stream.of(post, share, fee).filter(Objects::nonNull).toList();
        }

        Writes.SettlementRow row() {
            return new Writes.SettlementRow(holdId, post.id(), share == null ? null : share.id(),
                fee == null ? null : fee.id(), costNano, settlement);
        }
    }

    private PlannedSettlement settlement(Connection connection, Transfer hold, SettleRequest request) throws SQLException {
        Account clearing = hold.credit();
        if (request.providerKey().equals(clearing.key()) || request.feeKey().equals(clearing.key())) {
            throw new IllegalArgumentException("provider and fee accounts must differ from the hold's credit account "
                + clearing.key());
        }
        long postedNano = Math.min(request.costNano(), hold.amountNano());
        long shareNano = request.shareNano();
        if (shareNano > postedNano) {
            throw new IllegalArgumentException("provider share " + shareNano + " nano exceeds the posted amount "
                + postedNano + " nano of hold " + hold.id());
        }
        long feeNano = postedNano - shareNano;
        String holdText = hold.id().toString();
        Transfer post = new Transfer(TransferIds.of(POST_IDS, holdText), hold.debit(), clearing, postedNano,
            hold.code(), Transfer.Phase.POST, hold.id(), null, hold.userData());
        Transfer share = shareNano == 0 ? null : new Transfer(TransferIds.of(SHARE_IDS, holdText), clearing,
            account(connection, request.providerKey()), shareNano, SHARE_CODE, Transfer.Phase.SINGLE, null, null,
            hold.userData());
        Transfer fee = feeNano == 0 ? null : new Transfer(TransferIds.of(FEE_IDS, holdText), clearing,
            account(connection, request.feeKey()), feeNano, FEE_CODE, Transfer.Phase.SINGLE, null, null,
            hold.userData());
        List<Transfer.Move> moves = new ArrayList<>(post.moves(hold.amountNano()));
        for (Transfer split : new Transfer[] {share, fee}) {
            if (split != null) {
                moves.addAll(split.moves(0));
            }
        }
        Settlement settlement = new Settlement(postedNano, request.costNano() - postedNano, shareNano, feeNano);
        return new PlannedSettlement(hold.id(), post, share, fee, request.costNano(), settlement, moves);
    }

    /**
     * Posts a hold in full to its own credit account, for a hold whose amount is known when it is
     * made (an operator's payout: {@code provider:<p>} → {@code asset:usdc:<chain>}, posted once
     * the payout transaction is final). Idempotent: posting again is a no-op.
     *
     * @return true if the hold is posted (by this call or an earlier one), false if it was voided
     *     (released, or swept after it expired) and so moved nothing
     * @throws IllegalArgumentException if there is no such hold
     */
    public boolean post(UUID holdId) {
        Objects.requireNonNull(holdId, "holdId");
        return transactions.run("post " + holdId, connection -> {
            Transfer hold = requireHold(connection, holdId);
            Transfer post = new Transfer(TransferIds.of(POST_IDS, holdId.toString()), hold.debit(), hold.credit(),
                hold.amountNano(), hold.code(), Transfer.Phase.POST, holdId, null, hold.userData());
            List<Transfer.Move> moves = post.moves(hold.amountNano());
            Postings.Locked locked = Postings.lock(connection, moves);
            if (insert(connection, post)) {
                deleteLiveHold(connection, holdId);
                Postings.apply(connection, locked, moves);
                return true;
            }
            return resolution(connection, holdId) != Transfer.Phase.VOID;
        });
    }

    /**
     * Releases a hold without charge (voids it); idempotent, and a no-op on a hold already settled or voided.
     *
     * @throws IllegalArgumentException if there is no such hold
     */
    public void release(UUID holdId) {
        Objects.requireNonNull(holdId, "holdId");
        transactions.run("release " + holdId, connection -> voidHold(connection, requireHold(connection, holdId)));
    }

    /** An account's counters, batched deltas included. @throws IllegalArgumentException if there is no such account */
    public AccountBalance balance(String key) {
        requireKey(key);
        return transactions.run("balance of " + key, connection -> {
            Map<Long, Counters> found = Postings.current(connection, "where a.key = ?", key);
            if (found.isEmpty()) {
                throw new IllegalArgumentException("no ledger account " + key);
            }
            return found.values().iterator().next().toBalance();
        });
    }

    /**
     * Voids every live hold whose expiry is not after now, each in its own transaction; returns how
     * many this call voided (a hold resolved meanwhile by someone else is not counted). Call it at
     * least every {@link #MAX_SWEEP_PERIOD}.
     */
    public int sweepExpiredHolds() {
        int voided = 0;
        for (int round = 0; round < MAX_SWEEP_ROUNDS; round++) {
            Instant now = now();
            List<UUID> due = transactions.run("find expired holds", connection -> expiredHolds(connection, now));
            for (UUID holdId : due) {
                boolean voidedNow = transactions.run("void expired hold " + holdId,
                    connection -> voidHold(connection, requireHold(connection, holdId)));
                if (voidedNow) {
                    voided++;
                }
            }
            if (due.size() < SWEEP_BATCH_SIZE) {
                break;
            }
        }
        return voided;
    }

    /**
     * Folds up to {@link #ROLL_UP_BATCH_LIMIT} of the oldest batched deltas into their account rows
     * in one transaction; returns how many were folded. Balances read the same before and after.
     */
    public int rollUp() {
        return transactions.run("roll up batched postings", connection -> Postings.rollUp(connection, ROLL_UP_BATCH_LIMIT));
    }

    /**
     * Reserves and settles that guessed (wrote in one round trip without locking first) and missed,
     * so were done again the careful way, since this ledger was created. A replay or a refusal
     * misses by design; a count that grows with the traffic means the guess no longer fits it.
     */
    public long missedGuesses() {
        return transactions.missedGuesses();
    }

    /**
     * Checks ledger.md's invariants 1, 2, 3, 4, 5 and 7 on one consistent snapshot; returns one line
     * per violation, empty when all hold. It reads every transfer: an audit, not a hot-path call.
     */
    public List<String> checkInvariants() {
        Instant overdueBefore = now().minus(MAX_SWEEP_PERIOD);
        return transactions.run("check invariants", connection -> Invariants.check(connection, overdueBefore));
    }

    private boolean voidHold(Connection connection, Transfer hold) throws SQLException {
        Transfer voiding = new Transfer(TransferIds.of(VOID_IDS, hold.id().toString()), hold.debit(), hold.credit(),
            hold.amountNano(), hold.code(), Transfer.Phase.VOID, hold.id(), null, hold.userData());
        List<Transfer.Move> moves = voiding.moves(hold.amountNano());
        Postings.Locked locked = Postings.lock(connection, moves);
        if (!insert(connection, voiding)) {
            return false;
        }
        deleteLiveHold(connection, hold.id());
        Postings.apply(connection, locked, moves);
        return true;
    }

    /** The result of an earlier settle of this hold, or nothing charged when it was voided; empty while it is live. */
    private static Optional<Settlement> resolvedOutcome(Connection connection, UUID holdId, long costNano) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select posted_nano, overage_nano, share_nano, fee_nano from ledger_settlement where hold_id = ?""")) {
            select.setObject(1, holdId);
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    return Optional.of(new Settlement(row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4)));
                }
            }
        }
        try (PreparedStatement select = connection.prepareStatement("select phase from ledger_transfer where pending_id = ?")) {
            select.setObject(1, holdId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                if (Transfer.Phase.ofSql(row.getString(1)) != Transfer.Phase.VOID) {
                    throw new IllegalStateException("hold " + holdId + " was posted without a settlement");
                }
                return Optional.of(new Settlement(0, costNano, 0, 0));
            }
        }
    }

    private Transfer requireHold(Connection connection, UUID holdId) throws SQLException {
        return requirePending(holdId, findTransfers(connection, List.of(holdId)).get(holdId));
    }

    private static Transfer requirePending(UUID holdId, Transfer hold) {
        if (hold == null) {
            throw new IllegalArgumentException("no hold " + holdId);
        }
        if (hold.phase() != Transfer.Phase.PENDING) {
            throw new IllegalArgumentException("transfer " + holdId + " is a " + hold.phase().sql + " transfer, not a hold");
        }
        return hold;
    }

    /** The stored transfers among {@code ids}, by id, read in one statement. */
    private static Map<UUID, Transfer> findTransfers(Connection connection, List<UUID> ids) throws SQLException {
        Map<UUID, Transfer> found = new HashMap<>();
        if (ids.isEmpty()) {
            return found;
        }
        try (PreparedStatement select = connection.prepareStatement("""
                select t.id, t.amount_nano, t.code, t.phase, t.pending_id, t.expires_at, t.user_data,
                       d.id, d.key, d.debits_must_not_exceed_credits, d.credits_must_not_exceed_debits, d.batched,
                       c.id, c.key, c.debits_must_not_exceed_credits, c.credits_must_not_exceed_debits, c.batched
                from ledger_transfer t
                join ledger_account d on d.id = t.debit_account_id
                join ledger_account c on c.id = t.credit_account_id
                where t.id = any (?)""")) {
            select.setArray(1, connection.createArrayOf("uuid", ids.toArray()));
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    UUID id = row.getObject(1, UUID.class);
                    OffsetDateTime expiresAt = row.getObject(6, OffsetDateTime.class);
                    found.put(id, new Transfer(id, readAccount(row, 8), readAccount(row, 13), row.getLong(2),
                        row.getString(3), Transfer.Phase.ofSql(row.getString(4)), row.getObject(5, UUID.class),
                        expiresAt == null ? null : expiresAt.toInstant(), row.getString(7)));
                }
            }
        }
        return found;
    }

    /** How a hold was resolved (post or void), or null while it is live. */
    private static Transfer.Phase resolution(Connection connection, UUID holdId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("select phase from ledger_transfer where pending_id = ?")) {
            select.setObject(1, holdId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Transfer.Phase.ofSql(row.getString(1)) : null;
            }
        }
    }

    /** The holds among {@code holdIds} that a post or void has already resolved. */
    private static Set<UUID> resolvedHolds(Connection connection, List<UUID> holdIds) throws SQLException {
        Set<UUID> resolved = new HashSet<>();
        if (holdIds.isEmpty()) {
            return resolved;
        }
        try (PreparedStatement select = connection.prepareStatement(
                "select pending_id from ledger_transfer where pending_id = any (?)")) {
            select.setArray(1, connection.createArrayOf("uuid", holdIds.toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    resolved.add(rows.getObject(1, UUID.class));
                }
            }
        }
        return resolved;
    }

    /**
     * A batch writes only transfers it found free. A concurrent transaction may have written one of
     * their ids (or resolved one of their holds) since; the batch then runs again and sees it.
     */
    private static void requireAllInserted(Writes.Done done, int transfers, int liveHoldsResolved) {
        if (done.transfersInserted() != transfers || done.liveHoldsDeleted() != liveHoldsResolved) {
            throw new BatchConflict((transfers - done.transfersInserted()) + " of " + transfers
                + " transfer(s) were written meanwhile");
        }
    }

    private boolean insert(Connection connection, Transfer transfer) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into ledger_transfer (id, debit_account_id, credit_account_id, amount_nano, code, phase,
                                             pending_id, expires_at, user_data, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict do nothing""")) {
            insert.setObject(1, transfer.id());
            insert.setLong(2, transfer.debit().id());
            insert.setLong(3, transfer.credit().id());
            insert.setLong(4, transfer.amountNano());
            insert.setString(5, transfer.code());
            insert.setString(6, transfer.phase().sql);
            insert.setObject(7, transfer.pendingId());
            insert.setObject(8, transfer.expiresAt() == null ? null : sqlTime(transfer.expiresAt()));
            insert.setString(9, transfer.userData());
            insert.setObject(10, sqlTime(now()));
            return insert.executeUpdate() == 1;
        }
    }

    private static void deleteLiveHold(Connection connection, UUID holdId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("delete from ledger_live_hold where transfer_id = ?")) {
            delete.setObject(1, holdId);
            if (delete.executeUpdate() != 1) {
                throw new IllegalStateException("hold " + holdId + " was resolved but was not in the live holds");
            }
        }
    }

    private static List<UUID> expiredHolds(Connection connection, Instant now) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select transfer_id from ledger_live_hold where expires_at <= ?
                order by expires_at, transfer_id limit ?""")) {
            select.setObject(1, sqlTime(now));
            select.setInt(2, SWEEP_BATCH_SIZE);
            List<UUID> due = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    due.add(rows.getObject(1, UUID.class));
                }
            }
            return due;
        }
    }

    private Account insertOrFindAccount(Connection connection, String key, AccountFlags flags) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into ledger_account (key, debits_must_not_exceed_credits, credits_must_not_exceed_debits, batched,
                                            created_at)
                values (?, ?, ?, ?, ?)
                on conflict (key) do nothing
                returning id""")) {
            insert.setString(1, key);
            insert.setBoolean(2, flags.debitsMustNotExceedCredits());
            insert.setBoolean(3, flags.creditsMustNotExceedDebits());
            insert.setBoolean(4, flags.batched());
            insert.setObject(5, sqlTime(now()));
            try (ResultSet row = insert.executeQuery()) {
                if (row.next()) {
                    return new Account(row.getLong(1), key, flags);
                }
            }
        }
        Account existing = findAccount(connection, key);
        if (existing == null) {
            throw new IllegalStateException("account " + key + " was refused as a duplicate but is not stored");
        }
        return existing;
    }

    private Account account(Connection connection, String key) throws SQLException {
        Account account = accountsByKey.get(key);
        if (account != null) {
            return account;
        }
        account = findAccount(connection, key);
        if (account == null) {
            throw new IllegalArgumentException("no ledger account " + key + "; create it with ensureAccount first");
        }
        remember(account);
        return account;
    }

    private static Account findAccount(Connection connection, String key) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select id, key, debits_must_not_exceed_credits, credits_must_not_exceed_debits, batched
                from ledger_account where key = ?""")) {
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? readAccount(row, 1) : null;
            }
        }
    }

    private static Account readAccount(ResultSet row, int firstColumn) throws SQLException {
        return new Account(row.getLong(firstColumn), row.getString(firstColumn + 1), new AccountFlags(
            row.getBoolean(firstColumn + 2), row.getBoolean(firstColumn + 3), row.getBoolean(firstColumn + 4)));
    }

    private void remember(Account account) {
        if (accountsByKey.size() >= MAX_CACHED_ACCOUNTS) {
            accountsByKey.clear();
        }
        accountsByKey.put(account.key(), account);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static OffsetDateTime sqlTime(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static void requireTransferFields(String debitKey, String creditKey, long amountNano, String code,
                                              String userData) {
        requireKey(debitKey);
        requireKey(creditKey);
        if (debitKey.equals(creditKey)) {
            throw new IllegalArgumentException("a transfer needs two different accounts, got " + debitKey + " twice");
        }
        if (amountNano <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + amountNano + " nano");
        }
        if (code == null || !CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("transfer code must be lower-case letters, digits and _, at most 63, was "
                + code);
        }
        if (userData != null && userData.length() > MAX_USER_DATA_CHARS) {
            throw new IllegalArgumentException("user data is limited to " + MAX_USER_DATA_CHARS + " characters, was "
                + userData.length());
        }
    }

    /**
     * The refusals of malformed hold requests, before any database work: null where a request is
     * well formed. With a {@code lease}, each hold must also be between the lease's own accounts.
     */
    private static List<Outcome<Void>> checkHoldRequests(List<HoldRequest> requests, LeaseRenewal lease) {
        List<Outcome<Void>> checked = new ArrayList<>(Collections.nCopies(requests.size(), null));
        for (int i = 0; i < requests.size(); i++) {
            HoldRequest request = requests.get(i);
            try {
                Objects.requireNonNull(request.holdId(), "holdId");
                Objects.requireNonNull(request.expiresAt(), "expiresAt");
                requireTransferFields(request.debitKey(), request.creditKey(), request.amountNano(), request.code(),
                    request.userData());
                if (lease != null
                        && (!request.debitKey().equals(lease.debitKey()) || !request.creditKey().equals(lease.creditKey()))) {
                    throw new IllegalArgumentException("hold " + request.holdId() + " is not from " + lease.debitKey()
                        + " to " + lease.creditKey() + ", as its lease is");
                }
            } catch (IllegalArgumentException | NullPointerException e) {
                checked.set(i, Outcome.refused(e));
            }
        }
        return checked;
    }

    private static void requireBatchSize(List<?> requests) {
        if (requests.isEmpty() || requests.size() > MAX_BATCH) {
            throw new IllegalArgumentException("a batch holds 1 to " + MAX_BATCH + " requests, got " + requests.size());
        }
    }

    private static void requireKey(String key) {
        if (key == null || key.length() > MAX_KEY_CHARS || !ACCOUNT_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("an account key looks like kind:id (e.g. user:42), at most "
                + MAX_KEY_CHARS + " characters, was " + key);
        }
    }
}
