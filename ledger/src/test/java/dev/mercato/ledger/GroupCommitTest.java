package dev.mercato.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mercato.ledger.RequestAccounts.CLEARING;
import static dev.mercato.ledger.RequestAccounts.EQUITY;
import static dev.mercato.ledger.RequestAccounts.FEE;
import static dev.mercato.ledger.RequestAccounts.PROVIDER;
import static dev.mercato.ledger.RequestAccounts.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reserves and settles through group commit, the way the gateway calls the ledger. */
class GroupCommitTest {

    private static final long USDC = Usdc.NANO_PER_USDC;
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final int REQUESTS = 400;
    private static final int COVERED = 150;
    private static final long BOUNDED_WAIT_SECONDS = 60;

    private HikariDataSource database;
    private Ledger ledger;
    private final List<GroupCommit<?, ?>> queues = new ArrayList<>();

    @BeforeEach
    void openLedger() {
        database = TestDatabase.fresh(4);
        ledger = new Ledger(database, new MutableClock(NOW));
        RequestAccounts.create(ledger);
    }

    @AfterEach
    void close() {
        queues.forEach(GroupCommit::close);
        database.close();
    }

    private <I, O> GroupCommit<I, O> queue(String name, int maxQueued,
                                           java.util.function.Function<List<I>, List<Outcome<O>>> batch) {
        GroupCommit<I, O> queue = new GroupCommit<>(name, Ledger.MAX_BATCH, maxQueued, Duration.ZERO, batch, Runnable::run);
        queues.add(queue);
        return queue;
    }

    @Test
    void manyConcurrentReservesOnOneAccountShareCommitsAndAdmitExactlyWhatTheBalanceCovers() throws Exception {
        // The balance covers 150 holds of 1 USDC and 0.999999999 USDC more: not a 151st.
        ledger.transfer(TransferIds.of("dev_credit", USER), EQUITY, USER,
            COVERED * USDC + (USDC - 1), "dev_credit", null);
        AtomicInteger reserveBatches = new AtomicInteger();
        GroupCommit<HoldRequest, Void> reserves = queue("reserves", REQUESTS, items -> {
            reserveBatches.incrementAndGet();
            return ledger.reserveAll(items);
        });
        GroupCommit<SettleRequest, Settlement> settles = queue("settles", REQUESTS, ledger::settleAll);
        ExecutorService callers = Executors.newFixedThreadPool(32);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<UUID> holdIds = new ArrayList<>();
            List<CompletableFuture<Void>> held = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                UUID holdId = TransferIds.of("hold", "request-" + i);
                holdIds.add(holdId);
                held.add(CompletableFuture.supplyAsync(() -> {
                    awaitQuietly(start);
                    return reserves.submit(new HoldRequest(holdId, USER, CLEARING, USDC,
                        NOW.plusSeconds(60), "inference", null));
                }, callers).thenCompose(future -> future));
            }
            start.countDown();
            List<UUID> admitted = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                try {
                    held.get(i).get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS);
                    admitted.add(holdIds.get(i));
                } catch (ExecutionException e) {
                    InsufficientBalance refused = assertInstanceOf(InsufficientBalance.class, e.getCause());
                    assertEquals(USDC - 1, refused.balanceNano());
                }
            }
            assertEquals(COVERED, admitted.size());
            assertTrue(reserveBatches.get() < REQUESTS, reserveBatches.get() + " batches for " + REQUESTS + " reserves");
            assertEquals(new AccountBalance(COVERED * USDC + (USDC - 1), 0, 0, COVERED * USDC), ledger.balance(USER));

            Collections.shuffle(admitted);
            List<CompletableFuture<Settlement>> settled = admitted.stream().map(holdId -> CompletableFuture
                .supplyAsync(() -> settles.submit(new SettleRequest(holdId, USDC / 4, PROVIDER, FEE,
                    USDC / 5)), callers).thenCompose(future -> future)).toList();
            for (CompletableFuture<Settlement> result : settled) {
                assertEquals(new Settlement(USDC / 4, 0, USDC / 5, USDC / 4 - USDC / 5),
                    result.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS));
            }
            assertEquals(new AccountBalance(COVERED * USDC + (USDC - 1), COVERED * (USDC / 4), 0, 0),
                ledger.balance(USER));
            assertEquals(new AccountBalance(COVERED * (USDC / 5), 0, 0, 0), ledger.balance(PROVIDER));
            assertEquals(List.of(), ledger.checkInvariants());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void refusalsAndReplaysComeBackPerItemAndOneBadItemDoesNotFailTheOthers() {
        ledger.transfer(TransferIds.of("dev_credit", USER), EQUITY, USER, 3 * USDC,
            "dev_credit", null);
        UUID first = TransferIds.of("hold", "a");
        UUID second = TransferIds.of("hold", "b");
        List<Outcome<Void>> outcomes = ledger.reserveAll(List.of(
            new HoldRequest(first, USER, CLEARING, 2 * USDC, NOW.plusSeconds(60), "inference", null),
            new HoldRequest(second, USER, CLEARING, 2 * USDC, NOW.plusSeconds(60), "inference", null),
            new HoldRequest(first, USER, CLEARING, 2 * USDC, NOW.plusSeconds(60), "inference", null),
            new HoldRequest(first, USER, CLEARING, 5 * USDC, NOW.plusSeconds(60), "inference", null),
            new HoldRequest(TransferIds.of("hold", "c"), "user:404", CLEARING, USDC, NOW.plusSeconds(60),
                "inference", null),
            new HoldRequest(TransferIds.of("hold", "d"), USER, CLEARING, USDC, NOW, "inference", null),
            new HoldRequest(TransferIds.of("hold", "e"), USER, CLEARING, USDC, NOW.plusSeconds(1),
                "inference", null)));
        assertTrue(outcomes.get(0).isDone());
        InsufficientBalance short1 = assertInstanceOf(InsufficientBalance.class, outcomes.get(1).refusal());
        assertEquals(USDC, short1.balanceNano());
        assertEquals(2 * USDC, short1.neededNano());
        assertTrue(outcomes.get(2).isDone(), "a repeat of an admitted hold is its replay");
        assertInstanceOf(TransferConflict.class, outcomes.get(3).refusal());
        assertEquals("no ledger account user:404; create it with ensureAccount first",
            outcomes.get(4).refusal().getMessage());
        assertInstanceOf(IllegalArgumentException.class, outcomes.get(5).refusal());
        assertTrue(outcomes.get(6).isDone());
        assertEquals(new AccountBalance(3 * USDC, 0, 0, 3 * USDC), ledger.balance(USER));

        List<Outcome<Settlement>> settled = ledger.settleAll(List.of(
            new SettleRequest(first, USDC, PROVIDER, FEE, USDC / 2),
            new SettleRequest(first, USDC, PROVIDER, FEE, USDC / 2),
            new SettleRequest(second, USDC, PROVIDER, FEE, 0),
            new SettleRequest(TransferIds.of("hold", "e"), 3 * USDC, PROVIDER, FEE, USDC)));
        Settlement half = new Settlement(USDC, 0, USDC / 2, USDC / 2);
        assertEquals(half, settled.get(0).value());
        assertEquals(half, settled.get(1).value(), "a repeat returns the first result");
        assertEquals("no hold " + second, settled.get(2).refusal().getMessage());
        assertEquals(new Settlement(USDC, 2 * USDC, USDC, 0), settled.get(3).value());
        assertEquals(new AccountBalance(3 * USDC, 2 * USDC, 0, 0), ledger.balance(USER));
        assertEquals(List.of(), ledger.checkInvariants());
    }

    @Test
    void aFullQueueRefusesAtOnceAndClosingFailsWhatIsStillQueued() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GroupCommit<Integer, Integer> queue = new GroupCommit<>("test queue", 1, 2, Duration.ZERO, items -> {
            blocked.countDown();
            awaitQuietly(release);
            return items.stream().map(Outcome::done).toList();
        }, Runnable::run);
        CompletableFuture<Integer> running = queue.submit(1);
        assertTrue(blocked.await(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS));
        CompletableFuture<Integer> second = queue.submit(2);
        CompletableFuture<Integer> third = queue.submit(3);
        CompletionException full = assertThrows(CompletionException.class, () -> queue.submit(4).join());
        assertEquals("test queue is full: 2 items are already waiting for the database", full.getCause().getMessage());
        release.countDown();
        assertEquals(1, running.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of(2, 3), List.of(second.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS),
            third.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS)));
        queue.close();
        CompletionException closed = assertThrows(CompletionException.class, () -> queue.submit(5).join());
        assertEquals("test queue is closed", closed.getCause().getMessage());
    }

    @Test
    void itemsArrivingWhileABatchLingersShareItAndClosingWritesWhatIsQueued() throws Exception {
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        GroupCommit<Integer, Integer> queue = new GroupCommit<>("lingering queue", 10, 100, Duration.ofMillis(800),
            items -> {
                batchSizes.add(items.size());
                return items.stream().map(item -> Outcome.done(item * 10)).toList();
            }, Runnable::run);
        CompletableFuture<Integer> first = queue.submit(1);
        Thread.sleep(100);
        CompletableFuture<Integer> second = queue.submit(2);
        CompletableFuture<Integer> third = queue.submit(3);
        assertEquals(List.of(10, 20, 30), List.of(first.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS),
            second.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS), third.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS)));
        assertEquals(List.of(3), batchSizes);

        CompletableFuture<Integer> queuedAtClose = queue.submit(4);
        queue.close();
        assertEquals(40, queuedAtClose.getNow(null), "closing writes what was queued");
        assertEquals(List.of(3, 1), batchSizes);
    }

    @Test
    void aLingerBeyondOneSecondIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new GroupCommit<>(
            "slow queue", 10, 100, Duration.ofMillis(1_001), items -> List.of(), Runnable::run));
        assertEquals("linger must be between 0 and 1000 ms, was 1001 ms", refused.getMessage());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
