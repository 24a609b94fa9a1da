package dev.mercato.gateway.billing;

import dev.mercato.gateway.TestGateway;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.HoldRequest;
import dev.mercato.ledger.InsufficientBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.Usdc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Admission from a lease, on the gateway's real ledger: from memory when it fits, exactly judged when not. */
@Timeout(60)
class LeasesTest {

    private static final long USDC = Usdc.NANO_PER_USDC;
    private static final long TENTH = USDC / 10;

    private static TestGateway gateway;
    private static Ledger ledger;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final List<Leases> opened = new ArrayList<>();
    private String account;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
        ledger = gateway.bean(Ledger.class);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @AfterEach
    void close() {
        opened.forEach(leases -> leases.close(Duration.ofSeconds(10)));
        executor.shutdownNow();
        assertEquals(List.of(), ledger.checkInvariants());
    }

    @Test
    void holdsAdmittedFromTheLeaseAreWrittenTogetherAndTheLeaseIsToppedUp() {
        fund(10 * USDC);
        Leases leases = leases(Duration.ofSeconds(1), Duration.ofMinutes(1));
        Leases.Admission first = leases.admit(hold(TENTH));
        first.admitted().join();
        first.stored().join();
        // The first request waits for a step that writes its hold and a lease for 16 like it.
        assertEquals(new AccountBalance(10 * USDC, 0, 0, TENTH + 16 * TENTH), ledger.balance(account));
        assertEquals(16 * TENTH, leases.unusedNano(account));

        List<Leases.Admission> next = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            next.add(leases.admit(hold(TENTH)));
        }

        next.forEach(admission -> assertTrue(admission.admitted().isDone(), "admitted from memory"));
        assertEquals(11 * TENTH, leases.unusedNano(account));
        next.forEach(admission -> admission.stored().join());
        // One step wrote the five and made a lease for 16 again.
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 6 * TENTH + 16 * TENTH), ledger.balance(account));
        assertEquals(16 * TENTH, leases.unusedNano(account));
        assertEquals(2, count("pending"));
        assertEquals(1, count("void"));
    }

    @Test
    void ofNRacingRequestsExactlyTheKTheBalanceCoversAreAdmitted() throws Exception {
        fund(USDC);
        Leases leases = leases(Duration.ofMillis(20), Duration.ofMinutes(1));
        long amountNano = 3 * TENTH;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Leases.Admission>> racers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            racers.add(executor.submit(() -> {
                go.await();
                return leases.admit(hold(amountNano));
            }));
        }
        go.countDown();
        int admitted = 0;
        List<InsufficientBalance> refusals = new ArrayList<>();
        for (Future<Leases.Admission> racer : racers) {
            Leases.Admission admission = racer.get(30, TimeUnit.SECONDS);
            try {
                admission.admitted().join();
                admission.stored().join();
                admitted++;
            } catch (CompletionException e) {
                refusals.add(assertInstanceOf(InsufficientBalance.class, e.getCause()));
            }
        }

        assertEquals(3, admitted);
        assertEquals(7, refusals.size());
        refusals.forEach(refusal -> assertEquals(amountNano, refusal.neededNano()));
        AccountBalance balance = ledger.balance(account);
        assertEquals(USDC, balance.debitsPending(), "three holds of 0.3 and a lease of the 0.1 left");
        assertEquals(0, balance.availableNano());
        assertEquals(TENTH, leases.unusedNano(account));
    }

    @Test
    void aLeaseNobodyUsesIsGivenBackAndItsAccountForgotten() throws InterruptedException {
        fund(10 * USDC);
        Leases leases = leases(Duration.ofMillis(20), Duration.ofMillis(300));
        Leases.Admission admission = leases.admit(hold(TENTH));
        admission.stored().join();
        assertEquals(17 * TENTH, ledger.balance(account).debitsPending());

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ledger.balance(account).debitsPending() != TENTH && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        assertEquals(new AccountBalance(10 * USDC, 0, 0, TENTH), ledger.balance(account));
        assertEquals(0, leases.unusedNano(account));
        assertEquals(count("pending"), count("void"), "every lease voided");
    }

    @Test
    void closingWritesWhatWasAdmittedAndGivesTheLeaseBack() {
        fund(10 * USDC);
        Leases leases = leases(Duration.ofSeconds(1), Duration.ofMinutes(1));
        leases.admit(hold(TENTH)).stored().join();
        List<CompletableFuture<Void>> stored = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            stored.add(leases.admit(hold(TENTH)).stored());
        }
        assertTrue(stored.stream().noneMatch(CompletableFuture::isDone), "waiting for the 1 s linger");

        leases.close(Duration.ofSeconds(10));

        stored.forEach(CompletableFuture::join);
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 4 * TENTH), ledger.balance(account));
        assertThrows(dev.mercato.ledger.LedgerFailure.class, () -> leases.admit(hold(TENTH)));
    }

    private Leases leases(Duration linger, Duration idle) {
        Leases leases = new Leases(ledger, Billing.CLEARING, executor, Clock.systemUTC(),
            new LeaseSettings(linger, idle, 16, 10 * USDC, Billing.LEASE_TTL), 100);
        opened.add(leases);
        return leases;
    }

    private void fund(long amountNano) {
        account = "user:lease-test-" + UUID.randomUUID();
        ledger.ensureAccount(account, AccountFlags.USER);
        ledger.transfer(UUID.randomUUID(), Billing.DEV_CREDIT_SOURCE, account, amountNano, "dev_credit", null);
    }

    private HoldRequest hold(long amountNano) {
        return new HoldRequest(TransferIds.of("lease-test", UUID.randomUUID().toString()), account, Billing.CLEARING,
            amountNano, Clock.systemUTC().instant().plus(Duration.ofMinutes(5)), "inference", null);
    }

    /** Leases of this test's account in the phase given (a lease's void names it as its pending transfer). */
    private long count(String phase) {
        return gateway.queryLong("select count(*) from ledger_transfer t join ledger_account a on a.id = t.debit_account_id"
            + " where a.key = '" + account + "' and t.code = 'lease' and t.phase = '" + phase + "'");
    }
}
