package dev.mercato.ledger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The simulation's reference ledger: the rules of ledger.md in memory, one operation at a time,
 * with no batching and no database. After every step its balances must equal the real ledger's.
 */
final class LedgerModel {

    static final String CLEARING = "clearing:inference";
    static final String FEE = "revenue:fee";
    static final String EQUITY = "equity:dev-credit";

    /** What one delivery of an operation returned. */
    sealed interface Outcome permits Done, Settled, Refused, Conflict, Invalid, NotPosted, Leased {
    }

    /** What a lease step answered: each hold's outcome, the next lease's amount, whether the old lease was live. */
    record Leased(List<Outcome> holds, long nextLeaseNano, boolean leaseWasLive) implements Outcome {
    }

    record Done() implements Outcome {
    }

    record Settled(Settlement settlement) implements Outcome {
    }

    record Refused(long balanceNano, long neededNano) implements Outcome {
    }

    record Conflict() implements Outcome {
    }

    record Invalid() implements Outcome {
    }

    /** {@link Ledger#post} of a hold already voided: it moved nothing. */
    record NotPosted() implements Outcome {
    }

    static final Outcome DONE = new Done();
    static final Outcome CONFLICT = new Conflict();
    static final Outcome INVALID = new Invalid();
    static final Outcome NOT_POSTED = new NotPosted();

    enum HoldState { LIVE, SETTLED, VOIDED }

    /**
     * A hold: a request's ({@code user} → clearing, settled or released) or a payout's
     * ({@code user} is then the provider → equity, posted in full or released).
     */
    static final class Hold {
        final UUID id;
        final String user;
        final String credit;
        final long amountNano;
        final Instant expiresAt;
        final boolean lease;
        HoldState state = HoldState.LIVE;
        Settlement settlement;

        Hold(UUID id, String user, String credit, long amountNano, Instant expiresAt, boolean lease) {
            this.id = id;
            this.user = user;
            this.credit = credit;
            this.amountNano = amountNano;
            this.expiresAt = expiresAt;
            this.lease = lease;
        }

        boolean payout() {
            return !credit.equals(CLEARING);
        }
    }

    /** The fields a transfer id is compared on when it is delivered again. */
    private record Stored(String debit, String credit, long amountNano, String code, String phase, Instant expiresAt,
                          String userData) {
    }

    /** An operation the simulation delivers: once, again (a duplicate), concurrently, or across a kill. */
    sealed interface Op permits Fund, Withdraw, Reserve, Settle, Release, PayoutHold, PostPayout, RenewLease {
        /** The consumer whose balance it touches, or null. */
        String user();

        /** Applies the operation to the model and returns what the ledger must answer. */
        Outcome expect(LedgerModel model);

        /** Delivers the operation to the ledger and returns what it answered. */
        Outcome deliver(Ledger ledger);
    }

    record Fund(UUID id, String user, long amountNano) implements Op {
        public Outcome expect(LedgerModel model) {
            return model.single(id, EQUITY, user, amountNano, "dev_credit");
        }

        public Outcome deliver(Ledger ledger) {
            return outcomeOf(() -> ledger.transfer(id, EQUITY, user, amountNano, "dev_credit", null));
        }
    }

    record Withdraw(UUID id, String provider, long amountNano) implements Op {
        public String user() {
            return null;
        }

        public Outcome expect(LedgerModel model) {
            return model.single(id, provider, EQUITY, amountNano, "withdrawal");
        }

        public Outcome deliver(Ledger ledger) {
            return outcomeOf(() -> ledger.transfer(id, provider, EQUITY, amountNano, "withdrawal", null));
        }
    }

    record Reserve(UUID holdId, String user, long amountNano, Instant expiresAt, String userData) implements Op {
        public Outcome expect(LedgerModel model) {
            return model.reserve(holdId, user, amountNano, expiresAt, userData);
        }

        public Outcome deliver(Ledger ledger) {
            return outcomeOf(() -> ledger.reserve(holdId, user, CLEARING, amountNano, expiresAt, "inference", userData));
        }

        HoldRequest request() {
            return new HoldRequest(holdId, user, CLEARING, amountNano, expiresAt, "inference", userData);
        }
    }

    record Settle(UUID holdId, String user, long costNano, String provider, long shareNano) implements Op {
        public Outcome expect(LedgerModel model) {
            return model.settle(holdId, costNano, provider, shareNano);
        }

        public Outcome deliver(Ledger ledger) {
            try {
                return new Settled(ledger.settle(holdId, costNano, provider, FEE, shareNano));
            } catch (IllegalArgumentException e) {
                return INVALID;
            }
        }

        SettleRequest request() {
            return new SettleRequest(holdId, costNano, provider, FEE, shareNano);
        }
    }

    record Release(UUID holdId, String user) implements Op {
        public Outcome expect(LedgerModel model) {
            return model.release(holdId);
        }

        public Outcome deliver(Ledger ledger) {
            return outcomeOf(() -> ledger.release(holdId));
        }
    }

    /** A provider's withdrawal held until it is paid: reserved with the owner's (here empty) SQL in one transaction. */
    record PayoutHold(UUID holdId, String provider, long amountNano, Instant expiresAt) implements Op {
        public String user() {
            return null;
        }

        public Outcome expect(LedgerModel model) {
            return model.reservePayout(holdId, provider, amountNano, expiresAt);
        }

        public Outcome deliver(Ledger ledger) {
            return outcomeOf(() -> ledger.reserve(new HoldRequest(holdId, provider, EQUITY, amountNano, expiresAt,
                "payout", null), connection -> { }));
        }
    }

    /** A payout hold posted in full once the payout is final. */
    record PostPayout(UUID holdId) implements Op {
        public String user() {
            return null;
        }

        public Outcome expect(LedgerModel model) {
            return model.postInFull(holdId);
        }

        public Outcome deliver(Ledger ledger) {
            try {
                return ledger.post(holdId) ? DONE : NOT_POSTED;
            } catch (IllegalArgumentException e) {
                return INVALID;
            }
        }
    }

    /** A lease step of {@code user}: the lease named voided, the holds taken, the next lease made. */
    record RenewLease(UUID leaseId, String user, List<Reserve> holds, UUID nextLeaseId, long nextLeaseMaxNano,
                      Instant nextLeaseExpiresAt) implements Op {
        public Outcome expect(LedgerModel model) {
            return model.renewLease(this);
        }

        public Outcome deliver(Ledger ledger) {
            try {
                LeaseRenewed renewed = ledger.renewLease(new LeaseRenewal(leaseId, user, CLEARING,
                    holds.stream().map(Reserve::request).toList(), nextLeaseId, nextLeaseMaxNano, nextLeaseExpiresAt));
                return new Leased(renewed.holds().stream().map(LedgerModel::outcomeOf).toList(),
                    renewed.nextLeaseNano(), renewed.leaseWasLive());
            } catch (TransferConflict conflict) {
                return CONFLICT;
            } catch (IllegalArgumentException invalid) {
                return INVALID;
            }
        }
    }

    private final Map<String, AccountFlags> flags = new LinkedHashMap<>();
    private final Map<String, Counters> counters = new LinkedHashMap<>();
    private final Map<UUID, Stored> transfers = new HashMap<>();
    private final Map<UUID, Hold> holds = new LinkedHashMap<>();
    private final Map<String, UUID> currentLeases = new HashMap<>();
    private long transferRows;
    private Instant now;

    LedgerModel(Instant now) {
        this.now = now;
    }

    void open(String key, AccountFlags accountFlags) {
        flags.put(key, accountFlags);
        counters.put(key, Counters.ZERO);
    }

    Iterable<String> accountKeys() {
        return counters.keySet();
    }

    AccountBalance balance(String key) {
        return counters.get(key).toBalance();
    }

    long transferRows() {
        return transferRows;
    }

    Instant now() {
        return now;
    }

    void setNow(Instant instant) {
        now = instant;
    }

    Hold hold(UUID holdId) {
        return holds.get(holdId);
    }

    /** Request holds, of {@code user} if given; payout holds when {@code payouts}. */
    List<Hold> holds(String user, boolean liveOnly, boolean payouts) {
        List<Hold> found = new ArrayList<>();
        for (Hold hold : holds.values()) {
            if ((user == null || hold.user.equals(user)) && (!liveOnly || hold.state == HoldState.LIVE)
                && hold.payout() == payouts && !hold.lease) {
                found.add(hold);
            }
        }
        return found;
    }

    long liveHolds() {
        return holds.values().stream().filter(hold -> hold.state == HoldState.LIVE).count();
    }

    /** Rows written by a race step whose admitted holds were all released at once: a pending and a void each. */
    void recordReleasedRaceHolds(int admitted) {
        transferRows += 2L * admitted;
    }

    Outcome single(UUID id, String debit, String credit, long amountNano, String code) {
        Stored transfer = new Stored(debit, credit, amountNano, code, "single", null, null);
        if (transfers.containsKey(id)) {
            return transfers.get(id).equals(transfer) ? DONE : CONFLICT;
        }
        Map<String, Counters> changes = Map.of(
            debit, new Counters(0, amountNano, 0, 0),
            credit, new Counters(0, 0, 0, amountNano));
        Outcome refused = refusal(debit, changes.get(debit));
        if (refused == null) {
            refused = refusal(credit, changes.get(credit));
        }
        if (refused != null) {
            return refused;
        }
        changes.forEach(this::move);
        transfers.put(id, transfer);
        transferRows++;
        return DONE;
    }

    Outcome reserve(UUID holdId, String user, long amountNano, Instant expiresAt, String userData) {
        Stored transfer = new Stored(user, CLEARING, amountNano, "inference", "pending", expiresAt, userData);
        if (transfers.containsKey(holdId)) {
            return transfers.get(holdId).equals(transfer) ? DONE : CONFLICT;
        }
        if (!expiresAt.isAfter(now)) {
            return INVALID;
        }
        Counters userChange = new Counters(amountNano, 0, 0, 0);
        Outcome refused = refusal(user, userChange);
        if (refused != null) {
            return refused;
        }
        move(user, userChange);
        move(CLEARING, new Counters(0, 0, amountNano, 0));
        transfers.put(holdId, transfer);
        holds.put(holdId, new Hold(holdId, user, CLEARING, amountNano, expiresAt, false));
        transferRows++;
        return DONE;
    }

    /** The lease {@code user}'s last lease step made, or null when it made none. */
    UUID currentLease(String user) {
        return currentLeases.get(user);
    }

    Outcome renewLease(RenewLease step) {
        Stored earlierNext = transfers.get(step.nextLeaseId());
        // The next lease's amount is the ledger's to choose, so a stored one is compared on everything else.
        if (earlierNext != null && !earlierNext.equals(new Stored(step.user(), CLEARING, earlierNext.amountNano(),
                LeaseRenewal.CODE, "pending", step.nextLeaseExpiresAt(), null))) {
            return CONFLICT;
        }
        if (earlierNext == null && !step.nextLeaseExpiresAt().isAfter(now)) {
            return INVALID;
        }
        Hold lease = null;
        if (step.leaseId() != null) {
            lease = holds.get(step.leaseId());
            if (lease == null || !lease.lease || !lease.user.equals(step.user())) {
                return INVALID;
            }
        }
        boolean leaseWasLive = false;
        if (lease != null) {
            leaseWasLive = lease.state == HoldState.LIVE;
            if (lease.state == HoldState.LIVE) {
                voidHold(lease);
            }
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Reserve hold : step.holds()) {
            outcomes.add(reserve(hold.holdId(), hold.user(), hold.amountNano(), hold.expiresAt(), hold.userData()));
        }
        long nextNano;
        if (earlierNext != null) {
            nextNano = earlierNext.amountNano();
        } else {
            nextNano = Math.min(step.nextLeaseMaxNano(), Math.max(0, counters.get(step.user()).toBalance().availableNano()));
            if (nextNano > 0) {
                move(step.user(), new Counters(nextNano, 0, 0, 0));
                move(CLEARING, new Counters(0, 0, nextNano, 0));
                transfers.put(step.nextLeaseId(), new Stored(step.user(), CLEARING, nextNano, LeaseRenewal.CODE, "pending",
                    step.nextLeaseExpiresAt(), null));
                holds.put(step.nextLeaseId(), new Hold(step.nextLeaseId(), step.user(), CLEARING, nextNano,
                    step.nextLeaseExpiresAt(), true));
                transferRows++;
            }
        }
        if (nextNano > 0) {
            currentLeases.put(step.user(), step.nextLeaseId());
        } else {
            currentLeases.remove(step.user());
        }
        return new Leased(outcomes, nextNano, leaseWasLive);
    }

    Outcome reservePayout(UUID holdId, String provider, long amountNano, Instant expiresAt) {
        Stored transfer = new Stored(provider, EQUITY, amountNano, "payout", "pending", expiresAt, null);
        if (transfers.containsKey(holdId)) {
            return transfers.get(holdId).equals(transfer) ? DONE : CONFLICT;
        }
        if (!expiresAt.isAfter(now)) {
            return INVALID;
        }
        Counters providerChange = new Counters(amountNano, 0, 0, 0);
        Counters equityChange = new Counters(0, 0, amountNano, 0);
        Outcome refused = refusal(provider, providerChange);
        if (refused == null) {
            refused = refusal(EQUITY, equityChange);
        }
        if (refused != null) {
            return refused;
        }
        move(provider, providerChange);
        move(EQUITY, equityChange);
        transfers.put(holdId, transfer);
        holds.put(holdId, new Hold(holdId, provider, EQUITY, amountNano, expiresAt, false));
        transferRows++;
        return DONE;
    }

    Outcome postInFull(UUID holdId) {
        Hold hold = holds.get(holdId);
        if (hold == null) {
            return INVALID;
        }
        switch (hold.state) {
            case SETTLED -> {
                return DONE;
            }
            case VOIDED -> {
                return NOT_POSTED;
            }
            case LIVE -> {
            }
        }
        move(hold.user, new Counters(-hold.amountNano, hold.amountNano, 0, 0));
        move(hold.credit, new Counters(0, 0, -hold.amountNano, hold.amountNano));
        hold.state = HoldState.SETTLED;
        transferRows++;
        return DONE;
    }

    Outcome settle(UUID holdId, long costNano, String provider, long shareNano) {
        Hold hold = holds.get(holdId);
        if (hold == null) {
            return INVALID;
        }
        switch (hold.state) {
            case SETTLED -> {
                return new Settled(hold.settlement);
            }
            case VOIDED -> {
                return new Settled(new Settlement(0, costNano, 0, 0));
            }
            case LIVE -> {
            }
        }
        long postedNano = Math.min(costNano, hold.amountNano);
        if (shareNano > postedNano) {
            return INVALID;
        }
        long feeNano = postedNano - shareNano;
        move(hold.user, new Counters(-hold.amountNano, postedNano, 0, 0));
        move(CLEARING, new Counters(0, 0, -hold.amountNano, postedNano));
        transferRows++;
        if (shareNano > 0) {
            move(CLEARING, new Counters(0, shareNano, 0, 0));
            move(provider, new Counters(0, 0, 0, shareNano));
            transferRows++;
        }
        if (feeNano > 0) {
            move(CLEARING, new Counters(0, feeNano, 0, 0));
            move(FEE, new Counters(0, 0, 0, feeNano));
            transferRows++;
        }
        hold.state = HoldState.SETTLED;
        hold.settlement = new Settlement(postedNano, costNano - postedNano, shareNano, feeNano);
        return new Settled(hold.settlement);
    }

    Outcome release(UUID holdId) {
        Hold hold = holds.get(holdId);
        if (hold == null) {
            return INVALID;
        }
        if (hold.state == HoldState.LIVE) {
            voidHold(hold);
        }
        return DONE;
    }

    /** Voids every live hold whose expiry is not after now; returns how many. */
    int sweep() {
        int voided = 0;
        for (Hold hold : holds.values()) {
            if (hold.state == HoldState.LIVE && !hold.expiresAt.isAfter(now)) {
                voidHold(hold);
                voided++;
            }
        }
        return voided;
    }

    private void voidHold(Hold hold) {
        move(hold.user, new Counters(-hold.amountNano, 0, 0, 0));
        move(hold.credit, new Counters(0, 0, -hold.amountNano, 0));
        hold.state = HoldState.VOIDED;
        transferRows++;
    }

    /** The refusal the ledger must answer if {@code change} would break the account's balance flag, else null. */
    private Outcome refusal(String key, Counters change) {
        AccountFlags accountFlags = Objects.requireNonNull(flags.get(key), key);
        Counters before = counters.get(key);
        Counters after = before.plus(change);
        if (accountFlags.debitsMustNotExceedCredits() && after.debitExposure() > after.creditsPosted()) {
            return new Refused(before.creditsPosted() - before.debitExposure(), change.debitExposure() - change.creditsPosted());
        }
        if (accountFlags.creditsMustNotExceedDebits() && after.creditExposure() > after.debitsPosted()) {
            return new Refused(before.debitsPosted() - before.creditExposure(), change.creditExposure() - change.debitsPosted());
        }
        return null;
    }

    private void move(String key, Counters change) {
        counters.put(key, counters.get(key).plus(change));
    }

    /** What the batch outcome of one operation amounts to, as the single call's outcome. */
    static Outcome outcomeOf(dev.mercato.ledger.Outcome<?> outcome) {
        if (outcome.isDone()) {
            return outcome.value() instanceof Settlement settlement ? new Settled(settlement) : DONE;
        }
        return outcomeOf(() -> {
            throw outcome.refusal();
        });
    }

    private static Outcome outcomeOf(Runnable delivery) {
        try {
            delivery.run();
            return DONE;
        } catch (InsufficientBalance refused) {
            return new Refused(refused.balanceNano(), refused.neededNano());
        } catch (TransferConflict conflict) {
            return CONFLICT;
        } catch (IllegalArgumentException invalid) {
            return INVALID;
        }
    }
}
