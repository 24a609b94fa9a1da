package dev.mercato.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static dev.mercato.ledger.RequestAccounts.CLEARING;
import static dev.mercato.ledger.RequestAccounts.EQUITY;
import static dev.mercato.ledger.RequestAccounts.FEE;
import static dev.mercato.ledger.RequestAccounts.PROVIDER;
import static dev.mercato.ledger.RequestAccounts.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Leases: a hold the holds of requests admitted from memory are taken from, renewed in one transaction. */
@Timeout(60)
class LeaseTest {

    private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");
    private static final long USDC = Usdc.NANO_PER_USDC;

    private HikariDataSource database;
    private MutableClock clock;
    private Ledger ledger;

    @BeforeEach
    void fundOneUser() {
        database = TestDatabase.fresh(4);
        clock = new MutableClock(START);
        ledger = new Ledger(database, clock);
        RequestAccounts.create(ledger);
        ledger.transfer(UUID.randomUUID(), EQUITY, USER, 10 * USDC, "dev_credit", null);
    }

    @AfterEach
    void close() {
        assertEquals(List.of(), ledger.checkInvariants());
        database.close();
    }

    @Test
    void aFirstLeaseTakesWhatIsFreeUpToItsMaximum() {
        LeaseRenewed renewed = ledger.renewLease(renewal(null, "l1", 4 * USDC));

        assertEquals(4 * USDC, renewed.nextLeaseNano());
        assertFalse(renewed.leaseWasLive());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 4 * USDC), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 0, 4 * USDC, 0), ledger.balance(CLEARING));
    }

    @Test
    void holdsAreTakenFromTheLeaseAndTheNextLeaseIsToppedUpFromTheBalance() {
        ledger.renewLease(renewal(null, "l1", 4 * USDC));

        LeaseRenewed renewed = ledger.renewLease(renewal(id("l1"), "l2", 4 * USDC,
            hold("a", USDC), hold("b", 2 * USDC)));

        assertEquals(List.of(true, true), renewed.holds().stream().map(Outcome::isDone).toList());
        assertEquals(4 * USDC, renewed.nextLeaseNano());
        assertTrue(renewed.leaseWasLive());
        // 3 USDC held by the two requests, 4 by the lease, 3 free.
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 7 * USDC), ledger.balance(USER));
        assertEquals(2, count(LeaseRenewal.CODE, Transfer.Phase.PENDING));
        assertEquals(1, count(LeaseRenewal.CODE, Transfer.Phase.VOID));

        Settlement settled = ledger.settle(id("a"), 600_000_000L, PROVIDER, FEE, 480_000_000L);
        assertEquals(600_000_000L, settled.postedNano());
        ledger.release(id("b"));
        assertEquals(new AccountBalance(10 * USDC, 600_000_000L, 0, 4 * USDC), ledger.balance(USER));
    }

    @Test
    void theNextLeaseIsWhatIsLeftWhenTheBalanceIsShort() {
        ledger.renewLease(renewal(null, "l1", 8 * USDC));

        LeaseRenewed renewed = ledger.renewLease(renewal(id("l1"), "l2", 20 * USDC, hold("a", 3 * USDC)));

        assertEquals(7 * USDC, renewed.nextLeaseNano());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 10 * USDC), ledger.balance(USER));
    }

    @Test
    void holdsBeyondTheLeaseAreJudgedAgainstItsRemainderAndTheFreeBalanceInOrder() {
        ledger.renewLease(renewal(null, "l1", 3_500_000_000L));

        // 3.5 leased + 6.5 free = 10: four holds of 2.5 fit, the fifth does not, a smaller sixth still does.
        LeaseRenewed renewed = ledger.renewLease(renewal(id("l1"), "l2", 0, hold("a", 2_500_000_000L),
            hold("b", 2_500_000_000L), hold("c", 2_500_000_000L), hold("d", 2_000_000_000L), hold("e", 2_500_000_000L),
            hold("f", 500_000_000L)));

        assertEquals(List.of(true, true, true, true, false, true),
            renewed.holds().stream().map(Outcome::isDone).toList());
        InsufficientBalance refusal = assertInstanceOf(InsufficientBalance.class, renewed.holds().get(4).refusal());
        assertEquals(500_000_000L, refusal.balanceNano());
        assertEquals(2_500_000_000L, refusal.neededNano());
        assertEquals(0, renewed.nextLeaseNano());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 10 * USDC), ledger.balance(USER));
        assertEquals(0, count(LeaseRenewal.CODE, Transfer.Phase.PENDING) - count(LeaseRenewal.CODE, Transfer.Phase.VOID));
    }

    @Test
    void aMaximumOfZeroEndsTheLeaseAndGivesItsRemainderBack() {
        ledger.renewLease(renewal(null, "l1", 4 * USDC));

        LeaseRenewed renewed = ledger.renewLease(renewal(id("l1"), "l2", 0, hold("a", USDC)));

        assertEquals(0, renewed.nextLeaseNano());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, USDC), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 0, USDC, 0), ledger.balance(CLEARING));
    }

    @Test
    void runningTheSameStepAgainChangesNothingAndAnswersTheSame() {
        ledger.renewLease(renewal(null, "l1", 4 * USDC));
        LeaseRenewal step = renewal(id("l1"), "l2", 4 * USDC, hold("a", USDC));
        LeaseRenewed first = ledger.renewLease(step);

        LeaseRenewed again = ledger.renewLease(step);

        assertEquals(first.nextLeaseNano(), again.nextLeaseNano());
        assertFalse(again.leaseWasLive(), "the first run voided it");
        assertTrue(again.holds().getFirst().isDone());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 5 * USDC), ledger.balance(USER));
        assertEquals(3, count(LeaseRenewal.CODE, Transfer.Phase.PENDING) + count("inference", Transfer.Phase.PENDING));
    }

    @Test
    void aLeaseSweptAfterItExpiredLeavesItsHoldsToTheFreeBalance() {
        ledger.renewLease(renewal(null, "l1", 9 * USDC));
        clock.advance(Duration.ofMinutes(11));
        assertEquals(1, ledger.sweepExpiredHolds());

        LeaseRenewed renewed = ledger.renewLease(renewal(id("l1"), "l2", 0, hold("a", 4 * USDC)));

        assertFalse(renewed.leaseWasLive());
        assertTrue(renewed.holds().getFirst().isDone());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 4 * USDC), ledger.balance(USER));
    }

    @Test
    void aLeaseOfAnotherAccountOrARequestsHoldIsRefused() {
        ledger.reserve(id("request"), USER, CLEARING, USDC, START.plus(Duration.ofMinutes(5)), "inference", null);

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> ledger.renewLease(renewal(id("request"), "l2", USDC)));

        assertEquals("transfer " + id("request") + " is not a lease of " + USER, refused.getMessage());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, USDC), ledger.balance(USER));
    }

    private LeaseRenewal renewal(UUID leaseId, String next, long maxNano, HoldRequest... holds) {
        return new LeaseRenewal(leaseId, USER, CLEARING, List.of(holds), id(next), maxNano,
            clock.instant().plus(Duration.ofMinutes(10)));
    }

    private HoldRequest hold(String name, long amountNano) {
        return new HoldRequest(id(name), USER, CLEARING, amountNano, clock.instant().plus(Duration.ofMinutes(5)),
            "inference", null);
    }

    private static UUID id(String name) {
        return TransferIds.of("lease-test", name);
    }

    private long count(String code, Transfer.Phase phase) {
        try (Connection connection = database.getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select count(*) from ledger_transfer where code = ? and phase = ?")) {
            select.setString(1, code);
            select.setString(2, phase.sql);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
