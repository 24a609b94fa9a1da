package dev.mercato.ledger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerTest {

    private static final long USDC = Usdc.NANO_PER_USDC;
    private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

    private HikariDataSource database;
    private MutableClock clock;
    private Ledger ledger;

    @BeforeEach
    void openLedgerWithTenUsdcForTheUser() {
        database = TestDatabase.fresh(4);
        clock = new MutableClock(START);
        ledger = new Ledger(database, clock);
        RequestAccounts.create(ledger);
        ledger.transfer(TransferIds.of("dev_credit", USER), EQUITY, USER, 10 * USDC, "dev_credit", null);
    }

    @AfterEach
    void close() {
        assertEquals(List.of(), ledger.checkInvariants());
        database.close();
    }

    @Test
    void reserveMovesTheHoldIntoPendingCounters() {
        reserve(hold(1), 2 * USDC);

        assertEquals(new AccountBalance(10 * USDC, 0, 0, 2 * USDC), ledger.balance(USER));
        assertEquals(8 * USDC, ledger.balance(USER).availableNano());
        assertEquals(new AccountBalance(0, 0, 2 * USDC, 0), ledger.balance(CLEARING));
        assertEquals(new AccountBalance(0, 10 * USDC, 0, 0), ledger.balance(EQUITY));
        assertEquals(-10 * USDC, ledger.balance(EQUITY).availableNano());
    }

    @Test
    void aReserveAndItsSettleEachCommitTheirGuessWhileAReplayAndARefusalMissIt() {
        reserve(hold(1), 2 * USDC);
        ledger.settle(hold(1), USDC, PROVIDER, FEE, 850_000_000);
        assertEquals(0, ledger.missedGuesses());

        reserve(hold(1), 2 * USDC); // its transfer id is taken: the careful path finds it and replays
        assertEquals(1, ledger.missedGuesses());
        assertThrows(InsufficientBalance.class, () -> reserve(hold(2), 10 * USDC)); // 9 USDC are left
        assertEquals(2, ledger.missedGuesses());
        assertEquals(new AccountBalance(10 * USDC, USDC, 0, 0), ledger.balance(USER));
    }

    @Test
    void settleBelowTheHoldPostsTheCostReturnsTheRestAndSplitsIt() {
        reserve(hold(1), 2 * USDC);

        Settlement settlement = ledger.settle(hold(1), 1_500_000_000, PROVIDER, FEE, 1_275_000_000);

        assertEquals(new Settlement(1_500_000_000, 0, 1_275_000_000, 225_000_000), settlement);
        assertEquals(new AccountBalance(10 * USDC, 1_500_000_000, 0, 0), ledger.balance(USER));
        assertEquals(8_500_000_000L, ledger.balance(USER).availableNano());
        assertEquals(new AccountBalance(1_500_000_000, 1_500_000_000, 0, 0), ledger.balance(CLEARING));
        assertEquals(new AccountBalance(1_275_000_000, 0, 0, 0), ledger.balance(PROVIDER));
        assertEquals(new AccountBalance(225_000_000, 0, 0, 0), ledger.balance(FEE));
        assertEquals(4, count("select count(*) from ledger_transfer where user_data = 'request-1'"));
    }

    @Test
    void settleAboveTheHoldPostsTheHoldInFullAndReturnsTheOverage() {
        reserve(hold(1), USDC);

        Settlement settlement = ledger.settle(hold(1), 1_400_000_000, PROVIDER, FEE, 850_000_000);

        assertEquals(new Settlement(USDC, 400_000_000, 850_000_000, 150_000_000), settlement);
        assertEquals(new AccountBalance(10 * USDC, USDC, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(850_000_000, 0, 0, 0), ledger.balance(PROVIDER));
        assertEquals(new AccountBalance(150_000_000, 0, 0, 0), ledger.balance(FEE));
    }

    @Test
    void settleWithTheWholeCostToTheProviderWritesNoFeeTransfer() {
        reserve(hold(1), USDC);

        assertEquals(new Settlement(300, 0, 300, 0), ledger.settle(hold(1), 300, PROVIDER, FEE, 300));
        assertEquals(new AccountBalance(0, 0, 0, 0), ledger.balance(FEE));
        assertEquals(3, count("select count(*) from ledger_transfer where user_data = 'request-1'"));
    }

    @Test
    void settlingTwiceReturnsTheFirstResultAndWritesNothing() {
        reserve(hold(1), 2 * USDC);
        Settlement first = ledger.settle(hold(1), 1_500_000_000, PROVIDER, FEE, 1_275_000_000);
        long transfers = count("select count(*) from ledger_transfer");

        Settlement second = ledger.settle(hold(1), 700, PROVIDER, FEE, 0);

        assertEquals(first, second);
        assertEquals(transfers, count("select count(*) from ledger_transfer"));
        assertEquals(new AccountBalance(10 * USDC, 1_500_000_000, 0, 0), ledger.balance(USER));
    }

    @Test
    void releaseReturnsTheWholeHold() {
        reserve(hold(1), 3 * USDC);

        ledger.release(hold(1));

        assertEquals(new AccountBalance(10 * USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 0, 0, 0), ledger.balance(CLEARING));
    }

    @Test
    void releaseIsANoOpOnAHoldAlreadyResolved() {
        reserve(hold(1), 3 * USDC);
        reserve(hold(2), 3 * USDC);
        ledger.settle(hold(1), USDC, PROVIDER, FEE, 0);
        ledger.release(hold(2));
        long transfers = count("select count(*) from ledger_transfer");

        ledger.release(hold(1));
        ledger.release(hold(2));

        assertEquals(transfers, count("select count(*) from ledger_transfer"));
        assertEquals(new AccountBalance(10 * USDC, USDC, 0, 0), ledger.balance(USER));
    }

    @Test
    void aHoldAndTheCallersWorkCommitTogetherOrNotAtAll() throws SQLException {
        execute("create table payout_note (hold_id uuid primary key)");
        SqlWork note = connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "insert into payout_note (hold_id) values (?) on conflict do nothing")) {
                insert.setObject(1, hold(1));
                insert.executeUpdate();
            }
        };
        HoldRequest tooMuch = new HoldRequest(hold(1), USER, CLEARING, 11 * USDC, START.plusSeconds(300), "payout", null);
        assertThrows(InsufficientBalance.class, () -> ledger.reserve(tooMuch, note));
        assertEquals(0, count("select count(*) from payout_note"));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 0), ledger.balance(USER));

        HoldRequest fits = new HoldRequest(hold(1), USER, CLEARING, 4 * USDC, START.plusSeconds(300), "payout", null);
        ledger.reserve(fits, note);
        ledger.reserve(fits, note);
        assertEquals(1, count("select count(*) from payout_note"));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 4 * USDC), ledger.balance(USER));
        HoldRequest changed = new HoldRequest(hold(1), USER, CLEARING, 5 * USDC, START.plusSeconds(300), "payout", null);
        assertThrows(TransferConflict.class, () -> ledger.reserve(changed, note));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 4 * USDC), ledger.balance(USER));
    }

    @Test
    void postMovesTheWholeHoldToItsCreditAccountOnce() {
        reserve(hold(1), 3 * USDC);
        long transfers = count("select count(*) from ledger_transfer");

        assertTrue(ledger.post(hold(1)));
        assertTrue(ledger.post(hold(1)));
        ledger.release(hold(1));

        assertEquals(transfers + 1, count("select count(*) from ledger_transfer"));
        assertEquals(new AccountBalance(10 * USDC, 3 * USDC, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(3 * USDC, 0, 0, 0), ledger.balance(CLEARING));
    }

    @Test
    void postingAVoidedHoldMovesNothingAndSaysSo() {
        reserve(hold(1), 3 * USDC);
        ledger.release(hold(1));

        assertEquals(false, ledger.post(hold(1)));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals("no hold " + hold(9), assertThrows(IllegalArgumentException.class,
            () -> ledger.post(hold(9))).getMessage());
    }

    @Test
    void settlingAReleasedHoldChargesNothingAndReturnsTheWholeCostAsOverage() {
        reserve(hold(1), 3 * USDC);
        ledger.release(hold(1));

        assertEquals(new Settlement(0, 2 * USDC, 0, 0), ledger.settle(hold(1), 2 * USDC, PROVIDER, FEE, USDC));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 0), ledger.balance(USER));
    }

    @Test
    void aHoldCannotBeUnknownOrSomethingElse() {
        UUID transferId = TransferIds.of("dev_credit", USER);
        assertEquals("no hold " + hold(9), assertThrows(IllegalArgumentException.class,
            () -> ledger.release(hold(9))).getMessage());
        assertEquals("transfer " + transferId + " is a single transfer, not a hold",
            assertThrows(IllegalArgumentException.class, () -> ledger.settle(transferId, 1, PROVIDER, FEE, 0)).getMessage());
    }

    @Test
    void aShareAboveThePostedAmountIsRefused() {
        reserve(hold(1), USDC);

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> ledger.settle(hold(1), 2 * USDC, PROVIDER, FEE, USDC + 1));

        assertEquals("provider share 1000000001 nano exceeds the posted amount 1000000000 nano of hold " + hold(1),
            refused.getMessage());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, USDC), ledger.balance(USER));
    }

    @Test
    void reservingTheSameHoldTwiceWritesOneRow() {
        reserve(hold(1), 2 * USDC);
        reserve(hold(1), 2 * USDC);

        assertEquals(1, count("select count(*) from ledger_transfer where phase = 'pending'"));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 2 * USDC), ledger.balance(USER));
    }

    @Test
    void theSameHoldIdWithAnotherAmountIsAConflict() {
        reserve(hold(1), 2 * USDC);

        TransferConflict conflict = assertThrows(TransferConflict.class, () -> reserve(hold(1), 3 * USDC));

        assertEquals("transfer " + hold(1) + " already exists with a different amount (2000000000 nano, not 3000000000)",
            conflict.getMessage());
        assertEquals(1, count("select count(*) from ledger_transfer where phase = 'pending'"));
    }

    @Test
    void aSingleTransferIsIdempotentAndConflictsWhenItsFieldsChange() {
        UUID id = TransferIds.of("dev_credit", USER);
        ledger.transfer(id, EQUITY, USER, 10 * USDC, "dev_credit", null);

        assertThrows(TransferConflict.class, () -> ledger.transfer(id, EQUITY, USER, 10 * USDC, "deposit", null));
        assertThrows(TransferConflict.class, () -> ledger.transfer(id, EQUITY, USER, 10 * USDC, "dev_credit", "again"));
        assertEquals(1, count("select count(*) from ledger_transfer"));
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 0), ledger.balance(USER));
    }

    @Test
    void aReserveBeyondTheBalanceIsRefusedWithTheBalanceAndTheNeed() {
        reserve(hold(1), 4 * USDC);

        InsufficientBalance refused = assertThrows(InsufficientBalance.class, () -> reserve(hold(2), 6 * USDC + 1));

        assertEquals(6 * USDC, refused.balanceNano());
        assertEquals(6 * USDC + 1, refused.neededNano());
        assertEquals("account user:1 has 6 USDC available, 6.000000001 USDC needed", refused.getMessage());
        assertEquals(0, count("select count(*) from ledger_transfer where id = '" + hold(2) + "'"));
        reserve(hold(2), 6 * USDC);
        assertEquals(0, ledger.balance(USER).availableNano());
    }

    @Test
    void aHoldThatWouldAlreadyHaveExpiredIsRefused() {
        assertThrows(IllegalArgumentException.class,
            () -> ledger.reserve(hold(1), USER, CLEARING, USDC, START, "inference", "request-1"));
        assertEquals(0, count("select count(*) from ledger_live_hold"));
    }

    @Test
    void aHoldResolvesAtMostOnceEvenForHandWrittenSql() {
        reserve(hold(1), USDC);
        ledger.release(hold(1));

        SQLException refused = assertThrows(SQLException.class, () -> execute("""
            insert into ledger_transfer (id, debit_account_id, credit_account_id, amount_nano, code, phase, pending_id, created_at)
            select gen_random_uuid(), debit_account_id, credit_account_id, amount_nano, code, 'post', id, now()
            from ledger_transfer where id = '%s'""".formatted(hold(1))));

        assertEquals("23505", refused.getSQLState());
    }

    @Test
    void transfersCannotBeUpdatedDeletedOrTruncated() {
        reserve(hold(1), USDC);

        SQLException update = assertThrows(SQLException.class, () -> execute("update ledger_transfer set amount_nano = 1"));
        SQLException delete = assertThrows(SQLException.class, () -> execute("delete from ledger_transfer"));
        SQLException truncate = assertThrows(SQLException.class, () -> execute("truncate ledger_transfer cascade"));

        assertTrue(update.getMessage().contains("ledger_transfer is append-only: UPDATE refused"), update.getMessage());
        assertTrue(delete.getMessage().contains("ledger_transfer is append-only: DELETE refused"), delete.getMessage());
        assertTrue(truncate.getMessage().contains("is append-only: TRUNCATE refused"), truncate.getMessage());
        assertEquals(2, count("select count(*) from ledger_transfer"));
    }

    @Test
    void theDatabaseItselfRefusesAUserBalanceBelowZero() {
        SQLException refused = assertThrows(SQLException.class,
            () -> execute("update ledger_account set debits_posted = credits_posted + 1 where key = 'user:1'"));

        assertEquals("23514", refused.getSQLState());
        assertTrue(refused.getMessage().contains("ledger_account_debits_within_credits"), refused.getMessage());
    }

    @Test
    void theSweeperVoidsOnlyExpiredHolds() {
        ledger.reserve(hold(1), USER, CLEARING, USDC, START.plusSeconds(60), "inference", "request-1");
        ledger.reserve(hold(2), USER, CLEARING, 2 * USDC, START.plusSeconds(120), "inference", "request-2");

        clock.advance(Duration.ofSeconds(60));
        assertEquals(1, ledger.sweepExpiredHolds());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 2 * USDC), ledger.balance(USER));
        assertEquals(0, ledger.sweepExpiredHolds());

        clock.advance(Duration.ofSeconds(90));
        assertEquals(1, ledger.sweepExpiredHolds());
        assertEquals(new AccountBalance(10 * USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 0, 0, 0), ledger.balance(CLEARING));
        assertEquals(2, count("select count(*) from ledger_transfer where phase = 'void'"));
    }

    @Test
    void anExpiredHoldThatWasNotSweptYetCanStillBeSettled() {
        ledger.reserve(hold(1), USER, CLEARING, USDC, START.plusSeconds(60), "inference", "request-1");
        clock.advance(Duration.ofSeconds(65));

        assertEquals(new Settlement(USDC / 2, 0, 0, USDC / 2), ledger.settle(hold(1), USDC / 2, PROVIDER, FEE, 0));
        assertEquals(0, ledger.sweepExpiredHolds());
    }

    @Test
    void theInvariantCheckReportsAHoldLeftPastTheSweepPeriod() {
        ledger.reserve(hold(1), USER, CLEARING, USDC, START.plusSeconds(60), "inference", "request-1");
        clock.advance(Duration.ofSeconds(60).plus(Ledger.MAX_SWEEP_PERIOD).plusSeconds(1));

        List<String> violations = ledger.checkInvariants();

        assertEquals(1, violations.size(), violations::toString);
        assertEquals("invariant 4: a live hold outlived its expiry by more than the sweep period: id=" + hold(1)
            + " expires_at_utc=2026-11-22 10:01:00", violations.getFirst());
        assertEquals(1, ledger.sweepExpiredHolds());
    }

    @Test
    void theInvariantCheckCatchesCountersThatDisagreeWithTransfers() throws SQLException {
        execute("update ledger_account set credits_posted = credits_posted + 1 where key = 'user:1'");

        List<String> violations = ledger.checkInvariants();

        assertEquals(List.of(
            "invariant 1: over all accounts, debits and credits differ (posted, pending): posted_difference=-1 pending_difference=0",
            "invariant 2: cached counters differ from the fold of the account's transfers: key=user:1 dp=0 dpo=0 cp=0 "
                + "cpo=10000000001 folded_dp=0 folded_dpo=0 folded_cp=0 folded_cpo=10000000000"), violations);
        execute("update ledger_account set credits_posted = credits_posted - 1 where key = 'user:1'");
    }

    @Test
    void theInvariantCheckCatchesBookkeepingRowsThatNameNoTransfer() throws SQLException {
        String missing = "00000000-0000-0000-0000-00000000abcd";
        execute("insert into ledger_live_hold (transfer_id, expires_at) values ('" + missing + "', '2026-11-22 11:00:00+00')");
        execute("insert into ledger_account_delta (account_id, transfer_id, debits_pending, debits_posted, credits_pending,"
            + " credits_posted) select id, '" + missing + "', 0, 0, 0, 0 from ledger_account where key = 'clearing:inference'");

        List<String> violations = ledger.checkInvariants();

        assertEquals(List.of(
            "invariant 2: a delta, settlement or queued hold names no such row: row=delta id="
                + count("select max(id) from ledger_account_delta"),
            "invariant 2: a delta, settlement or queued hold names no such row: row=queued hold id=" + missing,
            "invariant 4: the sweeper's queue differs from the live holds: hold_id=" + missing
                + " expires_at_utc=null queued_expiry_utc=2026-11-22 11:00:00"), violations);
        execute("delete from ledger_live_hold where transfer_id = '" + missing + "'");
        execute("delete from ledger_account_delta where transfer_id = '" + missing + "'");
    }

    @Test
    void rollUpFoldsBatchedDeltasIntoTheAccountRows() {
        for (int request = 1; request <= 3; request++) {
            reserve(hold(request), USDC);
            ledger.settle(hold(request), 600_000_000, PROVIDER, FEE, 510_000_000);
        }
        AccountBalance clearing = ledger.balance(CLEARING);
        long deltas = count("select count(*) from ledger_account_delta");
        assertEquals(18, deltas);
        assertEquals(0, count("select credits_posted from ledger_account where key = 'provider:7'"));

        assertEquals(18, ledger.rollUp());

        assertEquals(0, count("select count(*) from ledger_account_delta"));
        assertEquals(clearing, ledger.balance(CLEARING));
        assertEquals(new AccountBalance(1_800_000_000, 1_800_000_000, 0, 0), clearing);
        assertEquals(1_530_000_000, count("select credits_posted from ledger_account where key = 'provider:7'"));
        assertEquals(270_000_000, count("select credits_posted from ledger_account where key = 'revenue:fee'"));
        assertEquals(0, ledger.rollUp());
    }

    @Test
    void aProviderWithdrawalIsCheckedAgainstCreditsStillInDeltas() {
        reserve(hold(1), USDC);
        ledger.settle(hold(1), USDC, PROVIDER, FEE, 800_000_000);

        InsufficientBalance refused = assertThrows(InsufficientBalance.class,
            () -> ledger.transfer(TransferIds.of("withdrawal", "1"), PROVIDER, EQUITY, 800_000_001, "withdrawal", null));
        assertEquals(800_000_000, refused.balanceNano());
        assertEquals(800_000_001, refused.neededNano());

        ledger.transfer(TransferIds.of("withdrawal", "2"), PROVIDER, EQUITY, 800_000_000, "withdrawal", null);
        assertEquals(new AccountBalance(800_000_000, 800_000_000, 0, 0), ledger.balance(PROVIDER));
        assertEquals(0, count("""
            select count(*) from ledger_account_delta d join ledger_account a on a.id = d.account_id
            where a.key = 'provider:7'"""));
    }

    @Test
    void ensureAccountIsIdempotentAndRefusesOtherFlags() {
        long id = ledger.ensureAccount("user:2", AccountFlags.USER);

        assertEquals(id, ledger.ensureAccount("user:2", AccountFlags.USER));
        assertEquals(id, new Ledger(database, clock).ensureAccount("user:2", AccountFlags.USER));
        assertThrows(IllegalArgumentException.class, () -> new Ledger(database, clock).ensureAccount("user:2", AccountFlags.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> ledger.ensureAccount("User 2", AccountFlags.USER));
    }

    @Test
    void aTransferToAnUnknownAccountIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> ledger.transfer(UUID.randomUUID(), EQUITY, "user:404", USDC, "dev_credit", null));
        assertEquals("no ledger account user:404; create it with ensureAccount first", refused.getMessage());
    }

    private void reserve(UUID holdId, long amountNano) {
        ledger.reserve(holdId, USER, CLEARING, amountNano, START.plusSeconds(300), "inference",
            "request-" + holdNumber(holdId));
    }

    private static UUID hold(int number) {
        return TransferIds.of("test-hold", Integer.toString(number));
    }

    private static int holdNumber(UUID holdId) {
        for (int number = 1; number < 100; number++) {
            if (hold(number).equals(holdId)) {
                return number;
            }
        }
        throw new IllegalArgumentException("not a test hold: " + holdId);
    }

    private long count(String sql) {
        try (Connection connection = database.getConnection();
             PreparedStatement select = connection.prepareStatement(sql);
             ResultSet row = select.executeQuery()) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
