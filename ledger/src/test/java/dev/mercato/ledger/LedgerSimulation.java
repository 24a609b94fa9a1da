package dev.mercato.ledger;

import com.zaxxer.hikari.HikariDataSource;
import dev.mercato.ledger.LedgerModel.Fund;
import dev.mercato.ledger.LedgerModel.Hold;
import dev.mercato.ledger.LedgerModel.Op;
import dev.mercato.ledger.LedgerModel.Outcome;
import dev.mercato.ledger.LedgerModel.PayoutHold;
import dev.mercato.ledger.LedgerModel.PostPayout;
import dev.mercato.ledger.LedgerModel.Release;
import dev.mercato.ledger.LedgerModel.RenewLease;
import dev.mercato.ledger.LedgerModel.Reserve;
import dev.mercato.ledger.LedgerModel.Settle;
import dev.mercato.ledger.LedgerModel.Withdraw;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

import static dev.mercato.ledger.LedgerModel.CLEARING;
import static dev.mercato.ledger.LedgerModel.DONE;
import static dev.mercato.ledger.LedgerModel.EQUITY;
import static dev.mercato.ledger.LedgerModel.FEE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded random driver of the real ledger on real PostgreSQL, checked step by step against
 * {@link LedgerModel}. Every random choice comes from one generator seeded with the seed, and no
 * choice depends on how threads happened to interleave, so a seed replays exactly.
 */
final class LedgerSimulation {

    static final int USERS = 12;
    static final int PROVIDERS = 3;
    static final long USDC = Usdc.NANO_PER_USDC;
    static final long MAX_FUNDING_NANO = 20 * USDC;
    static final long MAX_HOLD_LIFETIME_MILLIS = 120_000;
    static final int MAX_BURST_THREADS = 4;
    static final int MAX_OPS_PER_BURST_THREAD = 4;
    static final int MAX_RACERS = 8;
    static final int MAX_BATCH_OPS = 12;
    static final int MAX_KILLED_STATEMENT = 8;
    /** Threads of a burst or a race at most: burst threads, a twin pair and a roll-up, or the racers. */
    static final int MAX_CONCURRENT_DELIVERIES = Math.max(MAX_BURST_THREADS + 3, MAX_RACERS);
    static final long BOUNDED_WAIT_SECONDS = 60;

    private final long seed;
    private final RandomGenerator random;
    private final HikariDataSource database;
    private final KillSwitch killSwitch;
    private final MutableClock clock;
    private final LedgerModel model;
    private final List<String> users = new ArrayList<>();
    private final List<String> providers = new ArrayList<>();
    private final List<Op> history = new ArrayList<>();
    private Ledger ledger;
    private Instant lastSweepAt;
    private long serial;
    private String currentStep = "set-up";
    /** How often each kind of step and outcome happened, so a run shows what it exercised. */
    private final Map<String, Integer> tally = new TreeMap<>();

    LedgerSimulation(long seed, HikariDataSource database) {
        this.seed = seed;
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        this.database = database;
        this.killSwitch = new KillSwitch(database);
        Instant start = Instant.parse("2026-11-22T00:00:00Z");
        this.clock = new MutableClock(start);
        this.model = new LedgerModel(start);
        this.lastSweepAt = start;
        this.ledger = new Ledger(killSwitch, clock);
        open(CLEARING, AccountFlags.SYSTEM);
        open(FEE, AccountFlags.SYSTEM);
        open(EQUITY, AccountFlags.SOURCE);
        for (int i = 1; i <= PROVIDERS; i++) {
            providers.add("provider:" + i);
            open("provider:" + i, AccountFlags.PROVIDER);
        }
        for (int i = 1; i <= USERS; i++) {
            String user = "user:" + i;
            users.add(user);
            open(user, AccountFlags.USER);
            // A quarter of the consumers start with nothing, so refusals happen from the first step.
            if (random.nextInt(4) != 0) {
                deliver(new Fund(id("fund"), user, between(1, MAX_FUNDING_NANO)));
            }
        }
    }

    /** What the step in progress (or the one that failed) was doing. */
    String currentStep() {
        return currentStep;
    }

    /** How often each kind of step and outcome happened. */
    Map<String, Integer> tally() {
        return tally;
    }

    private void note(String what) {
        tally.merge(what, 1, Integer::sum);
    }

    /** Runs one randomly chosen step, then checks every invariant and every balance against the model. */
    void step() throws Exception {
        int choice = random.nextInt(100);
        if (choice < 50) {
            note("step: fresh delivery");
            Op op = freshOp();
            currentStep = "deliver " + op;
            deliver(op);
        } else if (choice < 56) {
            note("step: batch");
            batch();
        } else if (choice < 68) {
            note("step: duplicate delivery");
            duplicate();
        } else if (choice < 71) {
            note("step: reused id, changed amount");
            conflictingRedelivery();
        } else if (choice < 77) {
            note("step: clock jump");
            advanceClock();
        } else if (choice < 80) {
            note("step: sweep");
            currentStep = "sweep at " + model.now();
            sweep();
        } else if (choice < 85) {
            note("step: roll-up");
            currentStep = "roll up";
            rollUp();
        } else if (choice < 93) {
            note("step: kill and retry");
            killAndRetry();
        } else if (choice < 98) {
            note("step: concurrent burst");
            burst();
        } else {
            note("step: k-of-n race");
            race();
        }
        verify();
    }

    private void verify() throws SQLException {
        assertEquals(List.of(), ledger.checkInvariants(), "invariants");
        for (String key : model.accountKeys()) {
            assertEquals(model.balance(key), ledger.balance(key), "balance of " + key);
        }
        assertEquals(model.transferRows(), count("select count(*) from ledger_transfer"), "transfer rows");
        assertEquals(model.liveHolds(), count("select count(*) from ledger_live_hold"), "live holds");
    }

    private void deliver(Op op) {
        boolean again = op instanceof RenewLease && history.contains(op);
        Outcome expected = op.expect(model);
        Outcome answered = op.deliver(ledger);
        if (again) {
            assertEquals(withoutRefusedBalances(expected), withoutRefusedBalances(answered), op::toString);
        } else {
            assertEquals(expected, answered, op::toString);
        }
        tallyOutcome(op, expected);
        history.add(op);
    }

    private void tallyOutcome(Op op, Outcome outcome) {
        String kind = op.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        String result = switch (outcome) {
            case LedgerModel.Settled settled when settled.settlement().postedNano() == 0 -> "charged nothing (hold voided)";
            case LedgerModel.Settled settled when settled.settlement().overageNano() > 0 -> "settled with overage";
            case LedgerModel.Settled settled -> "settled";
            case LedgerModel.Refused refused -> "refused: insufficient balance";
            case LedgerModel.Conflict conflict -> "refused: conflict";
            case LedgerModel.Invalid invalid -> "refused: invalid";
            case LedgerModel.Done done -> "done";
            case LedgerModel.NotPosted notPosted -> "not posted (hold voided)";
            case LedgerModel.Leased leased -> (leased.leaseWasLive() ? "renewed a live lease" : "no live lease")
                + (leased.nextLeaseNano() > 0 ? ", made the next" : ", made none")
                + (leased.holds().stream().allMatch(DONE::equals) ? "" : ", some holds refused");
        };
        note("outcome: " + kind + " " + result);
    }

    private void duplicate() {
        if (history.isEmpty()) {
            Op op = newFund(users.get(random.nextInt(users.size())));
            currentStep = "deliver " + op;
            deliver(op);
            return;
        }
        Op earlier = history.get(random.nextInt(history.size()));
        currentStep = "deliver again " + earlier;
        deliver(earlier);
    }

    /** An earlier transfer id delivered with another amount: a conflict if it was stored, else a new attempt. */
    private void conflictingRedelivery() {
        List<Op> candidates = history.stream()
            .filter(op -> op instanceof Fund || op instanceof Reserve || op instanceof Withdraw
                || op instanceof PayoutHold).toList();
        if (candidates.isEmpty()) {
            duplicate();
            return;
        }
        Op earlier = candidates.get(random.nextInt(candidates.size()));
        Op changed = switch (earlier) {
            case Fund fund -> new Fund(fund.id(), fund.user(), fund.amountNano() + 1);
            case Reserve reserve -> new Reserve(reserve.holdId(), reserve.user(), reserve.amountNano() + 1,
                reserve.expiresAt(), reserve.userData());
            case Withdraw withdraw -> new Withdraw(withdraw.id(), withdraw.provider(), withdraw.amountNano() + 1);
            case PayoutHold payout -> new PayoutHold(payout.holdId(), payout.provider(), payout.amountNano() + 1,
                payout.expiresAt());
            default -> throw new IllegalStateException("not a candidate: " + earlier);
        };
        currentStep = "deliver changed " + changed;
        deliver(changed);
    }

    /** Moves time on; the sweeper runs whenever a sweep period has passed since it last ran. */
    private void advanceClock() throws SQLException {
        int scale = random.nextInt(20);
        long millis = scale < 10 ? between(1, 3_000) : scale < 17 ? between(1, 15_000) : between(1, 600_000);
        currentStep = "advance the clock " + millis + " ms";
        clock.advance(Duration.ofMillis(millis));
        model.setNow(clock.instant());
        if (!model.now().isBefore(lastSweepAt.plus(Ledger.MAX_SWEEP_PERIOD))) {
            currentStep += " and sweep";
            sweep();
        }
    }

    private void sweep() {
        int expected = model.sweep();
        assertEquals(expected, ledger.sweepExpiredHolds(), "holds swept");
        tally.merge("holds voided by the sweeper", expected, Integer::sum);
        lastSweepAt = model.now();
    }

    private void rollUp() throws SQLException {
        long deltas = count("select count(*) from ledger_account_delta");
        assertEquals(Math.min(deltas, Ledger.ROLL_UP_BATCH_LIMIT), ledger.rollUp(), "deltas folded");
        assertEquals(Math.max(0, deltas - Ledger.ROLL_UP_BATCH_LIMIT), count("select count(*) from ledger_account_delta"));
    }

    /**
     * Kills one transaction (backend terminated before a statement, commit turned into rollback,
     * or the answer lost after commit), restarts the ledger, and delivers the same thing again.
     */
    private void killAndRetry() throws SQLException {
        KillSwitch.Mode mode = KillSwitch.Mode.values()[random.nextInt(KillSwitch.Mode.values().length)];
        int statement = 1 + random.nextInt(MAX_KILLED_STATEMENT);
        int target = random.nextInt(20);
        if (target < 3) {
            KillSwitch.Kill kill = new KillSwitch.Kill(mode, 1 + random.nextInt(3), statement);
            currentStep = "sweep at " + model.now() + " killed by " + kill;
            int firstCount = -1;
            killSwitch.arm(kill);
            try {
                firstCount = ledger.sweepExpiredHolds();
            } catch (LedgerFailure expected) {
                // The sweep died part-way; the holds it voided before dying stay voided.
            } finally {
                countKill(kill);
            }
            restart();
            int expected = model.sweep();
            int retryCount = ledger.sweepExpiredHolds();
            if (firstCount >= 0) {
                assertEquals(expected, firstCount + retryCount, "holds swept across the kill");
            } else {
                assertTrue(retryCount <= expected, "retry swept " + retryCount + " of " + expected);
            }
            lastSweepAt = model.now();
        } else if (target < 6) {
            KillSwitch.Kill kill = new KillSwitch.Kill(mode, 1, statement);
            currentStep = "roll up killed by " + kill;
            killSwitch.arm(kill);
            try {
                ledger.rollUp();
            } catch (LedgerFailure expected) {
                // Either nothing was folded (rolled back) or everything was (the answer was lost).
            } finally {
                countKill(kill);
            }
            restart();
            ledger.rollUp();
            assertEquals(0, count("select count(*) from ledger_account_delta"));
        } else {
            Op op = freshOp();
            KillSwitch.Kill kill = new KillSwitch.Kill(mode, 1, statement);
            currentStep = "deliver " + op + " killed by " + kill;
            killSwitch.arm(kill);
            try {
                op.deliver(ledger);
            } catch (LedgerFailure expected) {
                // The delivery died; whether it committed is unknown, as after a real crash.
            } finally {
                countKill(kill);
            }
            restart();
            if (op instanceof RenewLease) {
                deliverLeaseAgain(op);
            } else {
                deliver(op);
            }
        }
    }

    /**
     * A lease step delivered again after a kill that may have come after its commit. A hold the
     * first run refused is judged again against what is free now: refused again (holds only take
     * from the balance), but naming a balance that the holds after it in the list, and the next
     * lease, have already taken from. So refusals of a step run again are compared on the amount
     * needed alone; a step's first run is compared exactly.
     */
    private void deliverLeaseAgain(Op op) {
        Outcome expected = op.expect(model);
        assertEquals(withoutRefusedBalances(expected), withoutRefusedBalances(op.deliver(ledger)), op::toString);
        tallyOutcome(op, expected);
        history.add(op);
    }

    /**
     * A lease step's outcome as a run of it again must answer too: its refusals without the balance
     * they name, and without whether the lease was live (a first run that committed voided it).
     */
    private static Outcome withoutRefusedBalances(Outcome outcome) {
        if (outcome instanceof LedgerModel.Leased leased) {
            return new LedgerModel.Leased(leased.holds().stream()
                .map(hold -> hold instanceof LedgerModel.Refused refused ? new LedgerModel.Refused(-1, refused.neededNano())
                    : hold).toList(), leased.nextLeaseNano(), false);
        }
        return outcome;
    }

    private void countKill(KillSwitch.Kill kill) {
        note(killSwitch.disarm() ? "kill fired: " + kill.mode() : "kill armed past the end of the work");
    }

    /** A new process with nothing in memory, on the same database. */
    private void restart() {
        ledger = new Ledger(killSwitch, clock);
    }

    /**
     * Several reserves, or several settles, in one batch call: each must come out as if it had
     * been delivered alone in list order, repeats within the batch and of earlier steps included.
     */
    private void batch() {
        // Settles need a hold to settle: before the first one there are only reserves to batch.
        boolean reserves = random.nextBoolean() || model.holds(null, false, false).isEmpty();
        int size = 2 + random.nextInt(MAX_BATCH_OPS - 1);
        List<Op> ops = new ArrayList<>();
        List<Outcome> expected = new ArrayList<>();
        List<Op> earlier = history.stream().filter(op -> op instanceof Reserve == reserves
            && (op instanceof Reserve || op instanceof Settle)).toList();
        while (ops.size() < size) {
            int pick = random.nextInt(10);
            Op op = pick == 0 && !ops.isEmpty() ? ops.get(random.nextInt(ops.size()))
                : pick == 1 && !earlier.isEmpty() ? earlier.get(random.nextInt(earlier.size()))
                : reserves ? newReserve(users.get(random.nextInt(users.size()))) : newSettle(null);
            if (op instanceof Reserve == reserves) {
                ops.add(op);
                expected.add(op.expect(model));
            }
        }
        currentStep = "batch " + ops;
        List<? extends dev.mercato.ledger.Outcome<?>> outcomes = reserves
            ? ledger.reserveAll(ops.stream().map(op -> ((Reserve) op).request()).toList())
            : ledger.settleAll(ops.stream().map(op -> ((Settle) op).request()).toList());
        assertEquals(expected, outcomes.stream().map(LedgerModel::outcomeOf).toList(), currentStep);
        for (int i = 0; i < ops.size(); i++) {
            tallyOutcome(ops.get(i), expected.get(i));
            history.add(ops.get(i));
        }
    }

    /**
     * A few threads at once, each on its own consumer (so outcomes do not depend on interleaving)
     * and all on the shared clearing, fee and provider accounts; one operation delivered twice at
     * the same moment; and sometimes a roll-up racing them.
     */
    private void burst() throws Exception {
        int threads = 2 + random.nextInt(MAX_BURST_THREADS - 1);
        List<String> chosen = new ArrayList<>(users);
        Collections.shuffle(chosen, random);
        List<List<Op>> sequences = new ArrayList<>();
        List<List<Outcome>> expectations = new ArrayList<>();
        for (int thread = 0; thread < threads; thread++) {
            List<Op> ops = new ArrayList<>();
            List<Outcome> expected = new ArrayList<>();
            int count = 1 + random.nextInt(MAX_OPS_PER_BURST_THREAD);
            for (int i = 0; i < count; i++) {
                Op op = opFor(chosen.get(thread));
                ops.add(op);
                expected.add(op.expect(model));
            }
            sequences.add(ops);
            expectations.add(expected);
        }
        Op twin = opFor(chosen.get(threads));
        Outcome twinExpected = twin.expect(model);
        for (int copy = 0; copy < 2; copy++) {
            sequences.add(List.of(twin));
            expectations.add(List.of(twinExpected));
        }
        boolean withRollUp = random.nextBoolean();
        currentStep = "burst " + sequences + (withRollUp ? " with a roll-up" : "");
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(sequences.size() + 1)) {
            List<Future<List<Outcome>>> results = new ArrayList<>();
            for (List<Op> ops : sequences) {
                results.add(pool.submit(() -> {
                    start.await();
                    List<Outcome> outcomes = new ArrayList<>();
                    for (Op op : ops) {
                        outcomes.add(op.deliver(ledger));
                    }
                    return outcomes;
                }));
            }
            Future<Integer> rollUp = pool.submit((Callable<Integer>) () -> {
                start.await();
                return withRollUp ? ledger.rollUp() : 0;
            });
            start.countDown();
            for (int thread = 0; thread < sequences.size(); thread++) {
                // The twins' lease step runs twice: the later run finds the lease voided, and its refusals
                // name a smaller balance.
                assertEquals(expectations.get(thread).stream().map(LedgerSimulation::withoutRefusedBalances).toList(),
                    results.get(thread).get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS).stream()
                        .map(LedgerSimulation::withoutRefusedBalances).toList(),
                    "outcomes of " + sequences.get(thread));
            }
            rollUp.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        for (int thread = 0; thread <= threads; thread++) {
            for (int i = 0; i < sequences.get(thread).size(); i++) {
                tallyOutcome(sequences.get(thread).get(i), expectations.get(thread).get(i));
            }
            history.addAll(sequences.get(thread));
        }
        if (withRollUp) {
            note("roll-up racing a burst");
        }
    }

    /**
     * N holds race against a balance that covers exactly k of them: exactly k are admitted, the
     * rest refused with the same balance; then the admitted ones are released.
     */
    private void race() throws Exception {
        String user = users.get(random.nextInt(users.size()));
        int covered = 1 + random.nextInt(4);
        int racers = covered + 1 + random.nextInt(MAX_RACERS - covered);
        // Each hold is available / k, so k fit and a (k + 1)-th does not once available ≥ k².
        if (model.balance(user).availableNano() < (long) covered * covered) {
            deliver(new Fund(id("fund"), user, between((long) covered * covered, MAX_FUNDING_NANO)));
        }
        long availableNano = model.balance(user).availableNano();
        long amountNano = availableNano / covered;
        Instant expiresAt = model.now().plusSeconds(60);
        List<UUID> holdIds = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            holdIds.add(id("race"));
        }
        currentStep = racers + " holds of " + amountNano + " nano race for " + user + " with " + availableNano + " available";
        CountDownLatch start = new CountDownLatch(1);
        List<UUID> admitted = new ArrayList<>();
        List<Outcome> refusals = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(racers)) {
            List<Future<Outcome>> outcomes = new ArrayList<>();
            for (UUID holdId : holdIds) {
                Reserve reserve = new Reserve(holdId, user, amountNano, expiresAt, "race");
                outcomes.add(pool.submit(() -> {
                    start.await();
                    return reserve.deliver(ledger);
                }));
            }
            start.countDown();
            for (int i = 0; i < racers; i++) {
                Outcome outcome = outcomes.get(i).get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS);
                if (outcome.equals(DONE)) {
                    admitted.add(holdIds.get(i));
                } else {
                    refusals.add(outcome);
                }
            }
        }
        assertEquals(covered, admitted.size(), "holds admitted");
        assertEquals(Collections.nCopies(racers - covered,
                new LedgerModel.Refused(availableNano - covered * amountNano, amountNano)), refusals);
        for (UUID holdId : admitted) {
            ledger.release(holdId);
        }
        model.recordReleasedRaceHolds(covered);
        tally.merge("race holds admitted", covered, Integer::sum);
        tally.merge("race holds refused", racers - covered, Integer::sum);
    }

    private Op freshOp() {
        int choice = random.nextInt(100);
        if (choice < 34) {
            return newReserve(users.get(random.nextInt(users.size())));
        } else if (choice < 40) {
            return newRenewLease(users.get(random.nextInt(users.size())));
        } else if (choice < 68) {
            return newSettle(null);
        } else if (choice < 80) {
            return newRelease(null);
        } else if (choice < 88) {
            return newFund(users.get(random.nextInt(users.size())));
        } else if (choice < 93) {
            return newWithdraw();
        } else if (choice < 97) {
            return newPayoutHold();
        } else {
            return newPayoutEnd();
        }
    }

    /** An operation that touches only {@code user}'s balance (and the shared system accounts). */
    private Op opFor(String user) {
        int choice = random.nextInt(100);
        if (choice < 38) {
            return newReserve(user);
        } else if (choice < 45) {
            return newRenewLease(user);
        } else if (choice < 75) {
            return newSettle(user);
        } else if (choice < 85) {
            return newRelease(user);
        } else if (choice < 95) {
            return newFund(user);
        }
        List<Op> earlier = history.stream().filter(op -> user.equals(op.user())).toList();
        return earlier.isEmpty() ? newFund(user) : earlier.get(random.nextInt(earlier.size()));
    }

    private Op newReserve(String user) {
        long availableNano = Math.max(0, model.balance(user).availableNano());
        int kind = random.nextInt(20);
        long amountNano = kind < 14 ? between(1, Math.max(1, availableNano / 3))
            : kind < 17 ? between(1, 5 * USDC)
            : kind < 19 ? Math.max(1, availableNano)
            : availableNano + 1;
        Instant expiresAt = model.now().plusMillis(between(1, MAX_HOLD_LIFETIME_MILLIS));
        UUID holdId = id("hold");
        return new Reserve(holdId, user, amountNano, expiresAt, "request-" + serial);
    }

    /**
     * A lease step of {@code user}: mostly on its current lease, sometimes with none or an old one
     * (voided by now), taking up to four holds and asking for a next lease of nothing, a few USDC
     * or everything free.
     */
    private Op newRenewLease(String user) {
        UUID leaseId = model.currentLease(user);
        int kind = random.nextInt(10);
        if (kind == 0) {
            leaseId = null;
        } else if (kind == 1) {
            List<Op> earlier = history.stream().filter(op -> op instanceof RenewLease lease && lease.user().equals(user))
                .toList();
            leaseId = earlier.isEmpty() ? leaseId : ((RenewLease) earlier.get(random.nextInt(earlier.size()))).nextLeaseId();
        }
        List<Reserve> holds = new ArrayList<>();
        int count = random.nextInt(5);
        for (int i = 0; i < count; i++) {
            holds.add((Reserve) newReserve(user));
        }
        long maxNano = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            default -> between(1, 5 * USDC);
        };
        Instant expiresAt = model.now().plusMillis(between(1, MAX_HOLD_LIFETIME_MILLIS));
        return new RenewLease(leaseId, user, holds, id("lease"), maxNano, expiresAt);
    }

    /** Settles a live hold (of {@code user} if given) mostly, any earlier hold sometimes; a new hold if there is none. */
    private Op newSettle(String user) {
        Hold hold = pickHold(user, random.nextInt(100) < 85);
        if (hold == null) {
            return newReserve(user == null ? users.get(random.nextInt(users.size())) : user);
        }
        int kind = random.nextInt(10);
        long costNano = kind < 6 ? between(1, hold.amountNano)
            : kind < 7 ? hold.amountNano
            : hold.amountNano + between(1, hold.amountNano);
        long shareBps = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> 10_000;
            case 2 -> 8_500;
            default -> between(0, 10_000);
        };
        long postedNano = Math.min(costNano, hold.amountNano);
        long shareNano = Math.multiplyExact(postedNano, shareBps) / 10_000;
        return new Settle(hold.id, hold.user, costNano, providers.get(random.nextInt(providers.size())), shareNano);
    }

    private Op newRelease(String user) {
        Hold hold = pickHold(user, random.nextInt(100) < 80);
        if (hold == null) {
            return newReserve(user == null ? users.get(random.nextInt(users.size())) : user);
        }
        return new Release(hold.id, hold.user);
    }

    private Op newFund(String user) {
        return new Fund(id("fund"), user, between(1, MAX_FUNDING_NANO));
    }

    private Op newWithdraw() {
        String provider = providers.get(random.nextInt(providers.size()));
        long availableNano = model.balance(provider).availableNano();
        long amountNano = random.nextInt(10) < 7 ? between(1, Math.max(1, availableNano)) : availableNano + 1;
        return new Withdraw(id("withdrawal"), provider, amountNano);
    }

    /** A provider's payout hold, mostly within its earnings, sometimes one unit beyond them. */
    private Op newPayoutHold() {
        String provider = providers.get(random.nextInt(providers.size()));
        long availableNano = model.balance(provider).availableNano();
        long amountNano = random.nextInt(10) < 7 ? between(1, Math.max(1, availableNano)) : availableNano + 1;
        Instant expiresAt = model.now().plusMillis(between(1, MAX_HOLD_LIFETIME_MILLIS));
        return new PayoutHold(id("payout"), provider, amountNano, expiresAt);
    }

    /** A payout hold's end: posted (its transaction was final) or released (it failed); a new one if there is none. */
    private Op newPayoutEnd() {
        Hold hold = pickHold(null, random.nextInt(100) < 80, true);
        if (hold == null) {
            return newPayoutHold();
        }
        return random.nextBoolean() ? new PostPayout(hold.id) : new Release(hold.id, null);
    }

    private Hold pickHold(String user, boolean liveOnly) {
        return pickHold(user, liveOnly, false);
    }

    private Hold pickHold(String user, boolean liveOnly, boolean payouts) {
        List<Hold> candidates = model.holds(user, liveOnly, payouts);
        if (candidates.isEmpty() && liveOnly) {
            candidates = model.holds(user, false, payouts);
        }
        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }

    private void open(String key, AccountFlags flags) {
        ledger.ensureAccount(key, flags);
        model.open(key, flags);
    }

    private UUID id(String kind) {
        serial++;
        return TransferIds.of("simulation", Long.toString(seed), kind, Long.toString(serial));
    }

    private long between(long lowest, long highest) {
        return random.nextLong(lowest, highest + 1);
    }

    private long count(String sql) throws SQLException {
        try (Connection connection = database.getConnection();
             PreparedStatement select = connection.prepareStatement(sql);
             ResultSet row = select.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }
}
