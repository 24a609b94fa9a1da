package dev.mercato.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Moves account counters for the transfers of one transaction, and folds batched deltas.
 *
 * <p>A posting goes one of two ways. In place: the account row is locked ({@code FOR NO KEY
 * UPDATE}, all rows in ascending id order so two transactions never wait on each other in a
 * cycle), the balance flag is checked, and the row is updated. Deferred: a posting on a batched
 * account that cannot break its balance flag (see {@link Account#defers}) is appended to
 * {@code ledger_account_delta}, an insert that waits for nobody, and {@link #rollUp} later folds
 * the deltas into the row. A batched account's counters are therefore its row plus its deltas.
 *
 * <p>Folding takes one transaction-scoped advisory lock before any batched row, so folds never
 * race each other: a fold takes the lowest delta ids, and a delta that undoes a hold (a negative
 * pending change) always has a higher id than the delta that made the hold, because the hold
 * committed before its post or void began. No fold can therefore drive a counter below zero.
 */
final class Postings {

    /** The advisory lock key held by whoever folds deltas into batched account rows. */
    static final long FOLD_LOCK_KEY = 0x6c65_6467_6572_0001L;

    /** How long a statement waits for a row or fold lock before it fails: the connections' lock_timeout ({@link Ledger#CONNECTION_INIT_SQL}). */
    static final int LOCK_WAIT_SECONDS = 10;

    private Postings() {
    }

    /** The rows a transaction updates in place, locked, with their current counters (folded deltas included). */
    record Locked(Map<Long, Account> accounts, Map<Long, Counters> counters) {
    }

    /** Locks every account that {@code moves} update in place and folds any of their deltas into the locked counters. */
    static Locked lock(Connection connection, List<Transfer.Move> moves) throws SQLException {
        Map<Long, Account> inPlace = new TreeMap<>();
        boolean anyBatched = false;
        for (Transfer.Move move : moves) {
            if (!move.account().defers(move.side())) {
                inPlace.put(move.account().id(), move.account());
                anyBatched |= move.account().flags().batched();
            }
        }
        Map<Long, Counters> counters = new TreeMap<>();
        if (inPlace.isEmpty()) {
            return new Locked(inPlace, counters);
        }
        if (anyBatched) {
            takeFoldLock(connection);
        }
        Long[] ids = inPlace.keySet().toArray(Long[]::new);
        try (PreparedStatement select = connection.prepareStatement("""
                select id, debits_pending, debits_posted, credits_pending, credits_posted
                from ledger_account where id = any (?) order by id for no key update""")) {
            select.setArray(1, connection.createArrayOf("bigint", ids));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    counters.put(rows.getLong(1), readCounters(rows, 2));
                }
            }
        }
        if (counters.size() != inPlace.size()) {
            throw new IllegalStateException("ledger accounts vanished while locking " + inPlace.values());
        }
        if (anyBatched) {
            List<Long> batched = inPlace.values().stream().filter(a -> a.flags().batched()).map(Account::id).toList();
            try (PreparedStatement delete = connection.prepareStatement("""
                    delete from ledger_account_delta where account_id = any (?)
                    returning account_id, debits_pending, debits_posted, credits_pending, credits_posted""")) {
                delete.setArray(1, connection.createArrayOf("bigint", batched.toArray(Long[]::new)));
                try (ResultSet deltas = delete.executeQuery()) {
                    while (deltas.next()) {
                        counters.merge(deltas.getLong(1), readCounters(deltas, 2), Counters::plus);
                    }
                }
            }
            // Written now, not with the postings: a duplicate delivery posts nothing, and the deltas are gone.
            Map<Long, Counters> folded = new TreeMap<>();
            batched.forEach(id -> folded.put(id, counters.get(id)));
            Writes writes = new Writes(java.time.Instant.EPOCH); // writes no transfer, so no creation time
            writes.setCounters(folded);
            writes.execute(connection);
        }
        return new Locked(inPlace, counters);
    }

    /**
     * Applies {@code moves} now: checks and updates the locked rows, appends deltas for the rest.
     *
     * @throws InsufficientBalance if an in-place account's balance flag would be broken
     */
    static void apply(Connection connection, Locked locked, List<Transfer.Move> moves) throws SQLException {
        Writes writes = new Writes(java.time.Instant.EPOCH); // writes no transfer, so no creation time
        stage(locked, moves, writes);
        writes.execute(connection);
    }

    /**
     * Adds what {@code moves} do to {@code writes}: the locked rows' new counters, and deltas for
     * postings on batched accounts.
     *
     * @throws InsufficientBalance if an in-place account's balance flag would be broken
     */
    static void stage(Locked locked, List<Transfer.Move> moves, Writes writes) {
        Map<Long, Counters> after = new TreeMap<>(locked.counters());
        applyInMemory(locked, after, moves);
        writes.setCounters(after);
        writes.insertDeltas(moves.stream().filter(move -> move.account().defers(move.side())).toList());
    }

    /**
     * Adds the in-place part of {@code moves} to {@code running} (locked accounts' counters), after
     * checking each changed account's balance flag against its running value; on a refusal
     * {@code running} is left as it was. Lets a batch admit its transfers one by one under one lock.
     *
     * @throws InsufficientBalance if an in-place account's balance flag would be broken
     */
    static void applyInMemory(Locked locked, Map<Long, Counters> running, List<Transfer.Move> moves) {
        Map<Long, Counters> changes = new TreeMap<>();
        for (Transfer.Move move : moves) {
            if (move.account().defers(move.side())) {
                continue;
            }
            if (!running.containsKey(move.account().id())) {
                throw new IllegalStateException("account " + move.account().key() + " is updated in place but not locked");
            }
            changes.merge(move.account().id(), move.change(), Counters::plus);
        }
        Map<Long, Counters> after = new TreeMap<>();
        for (Map.Entry<Long, Counters> change : changes.entrySet()) {
            Counters before = running.get(change.getKey());
            Counters updated = before.plus(change.getValue());
            requireFlagsHold(locked.accounts().get(change.getKey()), before, updated);
            after.put(change.getKey(), updated);
        }
        running.putAll(after);
    }

    private static void requireFlagsHold(Account account, Counters before, Counters after) {
        if (after.anyNegative()) {
            throw new IllegalStateException("account " + account.key() + " counters would go below zero: " + after);
        }
        AccountFlags flags = account.flags();
        if (flags.debitsMustNotExceedCredits() && after.debitExposure() > after.creditsPosted()) {
            long balanceNano = Math.subtractExact(before.creditsPosted(), before.debitExposure());
            long neededNano = Math.subtractExact(Math.subtractExact(after.debitExposure(), before.debitExposure()),
                Math.subtractExact(after.creditsPosted(), before.creditsPosted()));
            throw new InsufficientBalance(account.key(), balanceNano, neededNano);
        }
        if (flags.creditsMustNotExceedDebits() && after.creditExposure() > after.debitsPosted()) {
            long balanceNano = Math.subtractExact(before.debitsPosted(), before.creditExposure());
            long neededNano = Math.subtractExact(Math.subtractExact(after.creditExposure(), before.creditExposure()),
                Math.subtractExact(after.debitsPosted(), before.debitsPosted()));
            throw new InsufficientBalance(account.key(), balanceNano, neededNano);
        }
    }

    /**
     * Whether {@code moves} may be written without locking first ({@link #stageUnlocked}): they
     * update at most one row in place, so the update's own row lock can never wait in a cycle, and
     * that row is not batched, so it has no deltas to fold before its balance is known.
     */
    static boolean canGoUnlocked(List<Transfer.Move> moves) {
        Account inPlace = null;
        for (Transfer.Move move : moves) {
            Account account = move.account();
            if (account.defers(move.side())) {
                continue;
            }
            if (account.flags().batched() || (inPlace != null && inPlace.id() != account.id())) {
                return false;
            }
            inPlace = account;
        }
        return true;
    }

    /**
     * Adds what {@code moves} do to {@code writes} without a lock: their in-place part as changes
     * the statement applies only where the balance flag still holds, the rest as deltas.
     *
     * @return how many rows the statement must change for the guess to hold
     */
    static int stageUnlocked(List<Transfer.Move> moves, Writes writes) {
        Map<Long, Counters> changes = new TreeMap<>();
        List<Transfer.Move> deferred = new ArrayList<>();
        for (Transfer.Move move : moves) {
            if (move.account().defers(move.side())) {
                deferred.add(move);
            } else {
                changes.merge(move.account().id(), move.change(), Counters::plus);
            }
        }
        writes.addToCounters(changes);
        writes.insertDeltas(deferred);
        return changes.size();
    }

    /**
     * Folds up to {@code limit} of the oldest deltas into their account rows in this transaction:
     * {@code delete … returning}, then one update per account in ascending id order.
     *
     * @return how many deltas were folded
     */
    static int rollUp(Connection connection, int limit) throws SQLException {
        takeFoldLock(connection);
        Map<Long, Counters> sums = new TreeMap<>();
        int folded = 0;
        // The ids are gathered first (an index scan in id order) and deleted by the array, so the
        // delete never scans the table: under load the table holds many dead rows between vacuums,
        // and a generic plan for "in (… limit ?)" scanned and sorted all of them, for seconds.
        try (PreparedStatement delete = connection.prepareStatement("""
                delete from ledger_account_delta
                where id = any (array(select id from ledger_account_delta order by id limit ?))
                returning account_id, debits_pending, debits_posted, credits_pending, credits_posted""")) {
            delete.setInt(1, limit);
            try (ResultSet deltas = delete.executeQuery()) {
                while (deltas.next()) {
                    sums.merge(deltas.getLong(1), readCounters(deltas, 2), Counters::plus);
                    folded++;
                }
            }
        }
        if (sums.isEmpty()) {
            return 0;
        }
        try (PreparedStatement update = connection.prepareStatement("""
                update ledger_account set debits_pending = debits_pending + ?, debits_posted = debits_posted + ?,
                    credits_pending = credits_pending + ?, credits_posted = credits_posted + ?
                where id = ?""")) {
            for (Map.Entry<Long, Counters> entry : sums.entrySet()) {
                Counters sum = entry.getValue();
                update.setLong(1, sum.debitsPending());
                update.setLong(2, sum.debitsPosted());
                update.setLong(3, sum.creditsPending());
                update.setLong(4, sum.creditsPosted());
                update.setLong(5, entry.getKey());
                update.addBatch();
            }
            update.executeBatch();
        }
        return folded;
    }

    /** Current counters of accounts by id, row plus unfolded deltas, read in one statement (one snapshot). */
    static Map<Long, Counters> current(Connection connection, String whereClause, Object parameter) throws SQLException {
        Map<Long, Counters> result = new LinkedHashMap<>();
        try (PreparedStatement select = connection.prepareStatement("""
                select a.id,
                       a.debits_pending + coalesce(d.debits_pending, 0), a.debits_posted + coalesce(d.debits_posted, 0),
                       a.credits_pending + coalesce(d.credits_pending, 0), a.credits_posted + coalesce(d.credits_posted, 0)
                from ledger_account a
                left join lateral (
                    select sum(debits_pending) as debits_pending, sum(debits_posted) as debits_posted,
                           sum(credits_pending) as credits_pending, sum(credits_posted) as credits_posted
                    from ledger_account_delta where account_id = a.id) d on true
                """ + whereClause + " order by a.id")) {
            if (parameter != null) {
                select.setObject(1, parameter);
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    result.put(rows.getLong(1), readCounters(rows, 2));
                }
            }
        }
        return result;
    }

    private static void takeFoldLock(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("select pg_advisory_xact_lock(?)")) {
            lock.setLong(1, FOLD_LOCK_KEY);
            lock.execute();
        }
    }

    private static Counters readCounters(ResultSet row, int firstColumn) throws SQLException {
        return new Counters(row.getLong(firstColumn), row.getLong(firstColumn + 1),
            row.getLong(firstColumn + 2), row.getLong(firstColumn + 3));
    }
}
