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
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mercato.ledger.RequestAccounts.EQUITY;
import static dev.mercato.ledger.RequestAccounts.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Transfers posted together with the caller's own SQL: one transaction, idempotent by transfer id. */
@Timeout(60)
class TransferAllTest {

    private static final long USDC = Usdc.NANO_PER_USDC;
    private static final String CHAIN = "asset:usdc:31337";
    private static final String SECOND_USER = "user:2";

    private HikariDataSource database;
    private Ledger ledger;

    @BeforeEach
    void openLedgerWithACursorTable() throws SQLException {
        database = TestDatabase.fresh(4);
        ledger = new Ledger(database, new MutableClock(Instant.parse("2026-11-22T10:00:00Z")));
        RequestAccounts.create(ledger);
        ledger.ensureAccount(CHAIN, AccountFlags.SOURCE);
        ledger.ensureAccount(SECOND_USER, AccountFlags.USER);
        execute("create table scan_cursor (id int primary key, next_block bigint not null check (next_block >= 0))");
        execute("insert into scan_cursor values (1, 0)");
    }

    @AfterEach
    void close() {
        assertEquals(List.of(), ledger.checkInvariants());
        database.close();
    }

    @Test
    void postsEveryTransferAndTheCallersStatementsInOneTransaction() {
        ledger.transferAll(List.of(deposit("a", USER, 12_345_678_000L), deposit("b", SECOND_USER, 2 * USDC)),
            advanceCursorTo(101));

        assertEquals(new AccountBalance(12_345_678_000L, 0, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(2 * USDC, 0, 0, 0), ledger.balance(SECOND_USER));
        assertEquals(new AccountBalance(0, 14_345_678_000L, 0, 0), ledger.balance(CHAIN));
        assertEquals(101, count("select next_block from scan_cursor"));
        assertEquals(2, count("select count(*) from ledger_transfer where code = 'deposit'"));
    }

    @Test
    void deliveringTheSameTransfersAgainPostsNothingButRunsTheWork() {
        List<TransferRequest> transfers = List.of(deposit("a", USER, 3 * USDC), deposit("b", USER, USDC));
        ledger.transferAll(transfers, advanceCursorTo(50));

        ledger.transferAll(transfers, advanceCursorTo(60));
        ledger.transferAll(List.of(transfers.get(1), deposit("c", USER, 5 * USDC)), advanceCursorTo(70));

        assertEquals(new AccountBalance(9 * USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 9 * USDC, 0, 0), ledger.balance(CHAIN));
        assertEquals(3, count("select count(*) from ledger_transfer where code = 'deposit'"));
        assertEquals(70, count("select next_block from scan_cursor"));
    }

    @Test
    void aTransferRepeatedWithinTheListIsPostedOnce() {
        TransferRequest once = deposit("a", USER, 4 * USDC);

        ledger.transferAll(List.of(once, once, deposit("b", USER, USDC), once), advanceCursorTo(9));

        assertEquals(new AccountBalance(5 * USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(2, count("select count(*) from ledger_transfer where code = 'deposit'"));
    }

    @Test
    void workThatFailsRollsBackTheTransfers() {
        LedgerFailure failure = assertThrows(LedgerFailure.class,
            () -> ledger.transferAll(List.of(deposit("a", USER, USDC)), advanceCursorTo(-1)));

        assertEquals("23514", ((SQLException) failure.getCause()).getSQLState(), "the cursor's check constraint");
        assertEquals(new AccountBalance(0, 0, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 0, 0, 0), ledger.balance(CHAIN));
        assertEquals(0, count("select count(*) from ledger_transfer where code = 'deposit'"));
        assertEquals(0, count("select next_block from scan_cursor"));
    }

    @Test
    void workThatRefusesRollsBackAndItsRefusalReachesTheCaller() {
        IllegalStateException refusal = assertThrows(IllegalStateException.class,
            () -> ledger.transferAll(List.of(deposit("a", USER, USDC)), connection -> {
                advanceCursorTo(5).run(connection);
                throw new IllegalStateException("the cursor moved meanwhile");
            }));

        assertEquals("the cursor moved meanwhile", refusal.getMessage());
        assertEquals(0, count("select count(*) from ledger_transfer where code = 'deposit'"));
        assertEquals(0, count("select next_block from scan_cursor"));
    }

    @Test
    void aTransferTheBalanceCannotCoverRollsBackTheWholeListAndTheWork() {
        ledger.transferAll(List.of(deposit("a", USER, 2 * USDC)), advanceCursorTo(1));
        TransferRequest tooMuch = new TransferRequest(TransferIds.of("move", "x"), USER, SECOND_USER, 4 * USDC, "move",
            null);

        InsufficientBalance refusal = assertThrows(InsufficientBalance.class,
            () -> ledger.transferAll(List.of(deposit("b", USER, USDC), tooMuch), advanceCursorTo(2)));

        assertEquals(2 * USDC, refusal.balanceNano());
        assertEquals(new AccountBalance(2 * USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(1, count("select next_block from scan_cursor"));
    }

    @Test
    void theSameIdWithOtherFieldsIsAConflictAndWritesNothing() {
        ledger.transferAll(List.of(deposit("a", USER, USDC)), advanceCursorTo(1));

        TransferConflict conflict = assertThrows(TransferConflict.class, () -> ledger.transferAll(
            List.of(deposit("b", USER, USDC), deposit("a", SECOND_USER, USDC)), advanceCursorTo(2)));

        assertEquals("transfer " + TransferIds.of("deposit", "a") + " already exists with a different credit account "
            + "(user:1, not user:2)", conflict.getMessage());
        assertEquals(new AccountBalance(USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(new AccountBalance(0, 0, 0, 0), ledger.balance(SECOND_USER));
        assertEquals(1, count("select next_block from scan_cursor"));
    }

    @Test
    void anEmptyListRunsOnlyTheWork() {
        ledger.transferAll(List.of(), advanceCursorTo(33));

        assertEquals(33, count("select next_block from scan_cursor"));
        assertEquals(0, count("select count(*) from ledger_transfer where code = 'deposit'"));
    }

    @Test
    void workIsRunAgainWhenTheTransactionIsRetried() throws SQLException {
        AtomicInteger runs = new AtomicInteger();
        ledger.transferAll(List.of(deposit("a", USER, USDC)), connection -> {
            if (runs.incrementAndGet() == 1) {
                throw new SQLException("could not serialize access", "40001");
            }
            advanceCursorTo(8).run(connection);
        });

        assertEquals(2, runs.get());
        assertEquals(new AccountBalance(USDC, 0, 0, 0), ledger.balance(USER));
        assertEquals(8, count("select next_block from scan_cursor"));
    }

    @Test
    void malformedOrTooManyRequestsAreRefusedBeforeAnythingRuns() {
        AtomicInteger runs = new AtomicInteger();
        SqlWork counted = connection -> runs.incrementAndGet();
        List<TransferRequest> tooMany = new ArrayList<>();
        for (int i = 0; i <= Ledger.MAX_BATCH; i++) {
            tooMany.add(deposit("n" + i, USER, 1));
        }

        assertEquals("a batch holds at most 1000 transfers, got 1001",
            assertThrows(IllegalArgumentException.class, () -> ledger.transferAll(tooMany, counted)).getMessage());
        assertEquals("amount must be positive, was 0 nano", assertThrows(IllegalArgumentException.class,
            () -> ledger.transferAll(List.of(deposit("z", USER, 0)), counted)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ledger.transferAll(
            List.of(new TransferRequest(UUID.randomUUID(), CHAIN, "user:nobody", USDC, "deposit", null)), counted));
        assertEquals(1, runs.get(), "only the call naming an unknown account reached the database");
        assertEquals(0, count("select count(*) from ledger_transfer where code = 'deposit'"));
    }

    private static TransferRequest deposit(String name, String userKey, long amountNano) {
        return new TransferRequest(TransferIds.of("deposit", name), CHAIN, userKey, amountNano, "deposit", name);
    }

    private static SqlWork advanceCursorTo(long nextBlock) {
        return connection -> {
            try (PreparedStatement update = connection.prepareStatement("update scan_cursor set next_block = ?")) {
                update.setLong(1, nextBlock);
                update.executeUpdate();
            }
        };
    }

    private long count(String sql) {
        try (Connection connection = database.getConnection();
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
