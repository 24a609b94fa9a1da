package dev.mercato.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.mercato.ledger.RequestAccounts.CLEARING;
import static dev.mercato.ledger.RequestAccounts.EQUITY;
import static dev.mercato.ledger.RequestAccounts.FEE;
import static dev.mercato.ledger.RequestAccounts.PROVIDER;
import static dev.mercato.ledger.RequestAccounts.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerConcurrencyTest {

    private static final long USDC = Usdc.NANO_PER_USDC;
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final int RACERS = 24;
    private static final int COVERED = 7;
    private static final long BOUNDED_WAIT_SECONDS = 30;

    private HikariDataSource database;
    private Ledger ledger;

    @BeforeEach
    void openLedger() {
        database = TestDatabase.fresh(RACERS + 2);
        ledger = new Ledger(database, new MutableClock(NOW));
        RequestAccounts.create(ledger);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void exactlyTheRequestsTheBalanceCoversAreAdmittedWhenTheyRace() throws Exception {
        // The balance covers 7 holds of 1 USDC and 0.999999999 USDC more: not an 8th.
        long balanceNano = COVERED * USDC + (USDC - 1);
        ledger.transfer(TransferIds.of("dev_credit", USER), EQUITY, USER, balanceNano, "dev_credit", null);
        AtomicBoolean racing = new AtomicBoolean(true);
        AtomicLong lowestAvailableNano = new AtomicLong(Long.MAX_VALUE);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> refusals = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> watcher = threads.submit(() -> {
                while (racing.get()) {
                    lowestAvailableNano.accumulateAndGet(ledger.balance(USER).availableNano(), Math::min);
                }
            });
            for (int racer = 0; racer < RACERS; racer++) {
                UUID holdId = TransferIds.of("race", Integer.toString(racer));
                refusals.add(threads.submit(() -> {
                    start.await();
                    try {
                        ledger.reserve(holdId, USER, CLEARING, USDC, NOW.plusSeconds(60), "inference", null);
                        return -1L;
                    } catch (InsufficientBalance refused) {
                        assertEquals(USDC, refused.neededNano());
                        return refused.balanceNano();
                    }
                }));
            }
            start.countDown();
            int admitted = 0;
            List<Long> refusedBalances = new ArrayList<>();
            for (Future<Long> outcome : refusals) {
                long refusedAt = outcome.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS);
                if (refusedAt < 0) {
                    admitted++;
                } else {
                    refusedBalances.add(refusedAt);
                }
            }
            racing.set(false);
            watcher.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS);

            assertEquals(COVERED, admitted);
            assertEquals(Collections.nCopies(RACERS - COVERED, USDC - 1), refusedBalances);
        }
        assertEquals(new AccountBalance(balanceNano, 0, 0, COVERED * USDC), ledger.balance(USER));
        assertEquals(USDC - 1, ledger.balance(USER).availableNano());
        assertEquals(new AccountBalance(0, 0, COVERED * USDC, 0), ledger.balance(CLEARING));
        assertTrue(lowestAvailableNano.get() >= 0, "available dipped to " + lowestAvailableNano.get());
        assertEquals(List.of(), ledger.checkInvariants());
    }

    @Test
    void requestsDoNotWaitForTheHotAccountRows() throws Exception {
        ledger.transfer(TransferIds.of("dev_credit", USER), EQUITY, USER, 5 * USDC, "dev_credit", null);
        try (Connection blocker = database.getConnection()) {
            blocker.setAutoCommit(false);
            // Hold the row locks an update of the clearing, fee and provider rows takes, and keep them.
            try (PreparedStatement lock = blocker.prepareStatement("""
                    update ledger_account set credits_posted = credits_posted
                    where key in ('clearing:inference', 'revenue:fee', 'provider:7')""")) {
                assertEquals(3, lock.executeUpdate());
            }
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Settlement> request = threads.submit(() -> {
                    UUID holdId = TransferIds.of("request", "1");
                    ledger.reserve(holdId, USER, CLEARING, 2 * USDC, NOW.plusSeconds(60), "inference", "r1");
                    return ledger.settle(holdId, USDC, PROVIDER, FEE, 850_000_000);
                });
                assertEquals(new Settlement(USDC, 0, 850_000_000, 150_000_000),
                    request.get(BOUNDED_WAIT_SECONDS, TimeUnit.SECONDS));
            }
            blocker.rollback();
        }
        assertEquals(new AccountBalance(850_000_000, 0, 0, 0), ledger.balance(PROVIDER));
        assertEquals(List.of(), ledger.checkInvariants());
    }
}
