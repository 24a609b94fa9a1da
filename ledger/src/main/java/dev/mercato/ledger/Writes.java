package dev.mercato.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Everything one ledger transaction writes, sent in one round trip: each kind of row is a
 * data-modifying CTE over arrays ({@code unnest}), so a batch of any size costs one round trip
 * and one executor run per table instead of one per row. On this project's 2-core machine a
 * round trip to PostgreSQL costs more than the work it carries, which is why this exists.
 *
 * <p>Foreign keys between rows of the same statement (a live hold naming the transfer inserted
 * beside it) are checked at the end of the statement, when all of them are in.
 */
final class Writes {

    /** A settlement row: what the hold cost, how it was posted and split, and the transfers that did it. */
    record SettlementRow(UUID holdId, UUID postId, UUID shareId, UUID feeId, long costNano, Settlement settlement) {
    }

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String FOREIGN_KEY_VIOLATION = "23503";
    private static final String CHECK_VIOLATION = "23514";
    private static final String NUMERIC_VALUE_OUT_OF_RANGE = "22003";
    /** Raised by {@code ledger_guess_held} (migration V102) when a guess did not hold. */
    private static final String GUESS_MISSED = "ML001";

    private final Instant now;
    private final List<Transfer> transfers = new ArrayList<>();
    private final List<Transfer> liveHolds = new ArrayList<>();
    private final List<UUID> resolvedHolds = new ArrayList<>();
    private final List<SettlementRow> settlements = new ArrayList<>();
    private final List<Long> accountIds = new ArrayList<>();
    private final List<Counters> accountCounters = new ArrayList<>();
    private final List<Transfer.Move> deltas = new ArrayList<>();
    private final List<Long> addedAccountIds = new ArrayList<>();
    private final List<Counters> addedCounters = new ArrayList<>();
    private boolean waitForFlush = true;

    /** @param now the creation time of the transfers and settlements written */
    Writes(Instant now) {
        this.now = now;
    }

    /**
     * Lets the transaction's commit return before its WAL reaches the disk
     * ({@code synchronous_commit = off} for this transaction only). Only for writes whose loss in a
     * database crash is harmless; see {@link Ledger#reserveAll}. Any later commit that waits for
     * the flush (a settle of the same hold, say) makes this one durable too: the WAL is written in
     * order.
     */
    void commitWithoutWaitingForFlush() {
        waitForFlush = false;
    }

    void insertTransfers(List<Transfer> inserted) {
        transfers.addAll(inserted);
    }

    void insertLiveHolds(List<Transfer> holds) {
        liveHolds.addAll(holds);
    }

    void deleteLiveHolds(List<UUID> holdIds) {
        resolvedHolds.addAll(holdIds);
    }

    void insertSettlements(List<SettlementRow> rows) {
        settlements.addAll(rows);
    }

    /** Sets locked rows' counters to these values. */
    void setCounters(Map<Long, Counters> counters) {
        counters.forEach((id, values) -> {
            accountIds.add(id);
            accountCounters.add(values);
        });
    }

    /**
     * Adds these changes to rows that were not locked first, each only if the row's balance flag
     * still holds afterwards; {@link Done#countersAdded()} says how many rows took their change.
     * The row lock is taken by the update itself, so it is held for this statement and the commit
     * only. A statement with such changes is a guess: whatever it meets that a locked, read-first
     * transaction would have judged (a taken id, a flag, a counter below zero) is a {@link BatchConflict}
     * to retry at once on the careful path.
     */
    void addToCounters(Map<Long, Counters> changes) {
        changes.forEach((id, change) -> {
            addedAccountIds.add(id);
            addedCounters.add(change);
        });
    }

    void insertDeltas(List<Transfer.Move> moves) {
        deltas.addAll(moves);
    }

    /**
     * What the statement did: transfers inserted (an id or hold already taken is skipped), live holds
     * deleted, rows whose counters took an {@link #addToCounters} change.
     */
    record Done(int transfersInserted, int liveHoldsDeleted, int countersAdded) {
    }

    /** Writes everything, in the caller's transaction; the caller judges the {@link Done} and commits. */
    Done execute(Connection connection) throws SQLException {
        return write(connection, null);
    }

    /**
     * Writes everything and commits, in one round trip, if the statement did exactly what
     * {@code expected} says; otherwise nothing is written and this throws a missed-guess
     * {@link BatchConflict}. Used by guesses, which lock a busy account row with their update:
     * deciding and committing in the database, instead of sending a COMMIT after reading the
     * counts, keeps the row locked for one round trip less. The caller must not write more in
     * this transaction.
     */
    void commitGuess(Connection connection, Done expected) throws SQLException {
        write(connection, expected);
    }

    private Done write(Connection connection, Done expected) throws SQLException {
        List<String> parts = new ArrayList<>();
        List<Object> parameters = new ArrayList<>(); // a String, or a TypedArray, in the order of the ?s
        List<String> counterParts = new ArrayList<>();
        List<Object> counterParameters = new ArrayList<>();
        String createdAt = now.toString();
        if (!transfers.isEmpty()) {
            parts.add("""
                t as (insert into ledger_transfer (id, debit_account_id, credit_account_id, amount_nano, code, phase,
                                                   pending_id, expires_at, user_data, created_at)
                      select id, debit, credit, amount, code, phase, pending, expires::timestamptz, data, ?::timestamptz
                      from unnest(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::uuid[],
                                  ?::text[], ?::text[]) as v(id, debit, credit, amount, code, phase, pending, expires, data)
                      on conflict do nothing
                      returning 1)""");
            parameters.add(createdAt);
            add(parameters, "uuid", transfers.stream().map(Transfer::id).toArray());
            add(parameters, "bigint", transfers.stream().map(t -> t.debit().id()).toArray());
            add(parameters, "bigint", transfers.stream().map(t -> t.credit().id()).toArray());
            add(parameters, "bigint", transfers.stream().map(Transfer::amountNano).toArray());
            add(parameters, "text", transfers.stream().map(Transfer::code).toArray());
            add(parameters, "text", transfers.stream().map(t -> t.phase().sql).toArray());
            add(parameters, "uuid", transfers.stream().map(Transfer::pendingId).toArray());
            add(parameters, "text", transfers.stream().map(t -> t.expiresAt() == null ? null : t.expiresAt().toString())
                .toArray());
            add(parameters, "text", transfers.stream().map(Transfer::userData).toArray());
        }
        if (!liveHolds.isEmpty()) {
            parts.add("""
                h as (insert into ledger_live_hold (transfer_id, expires_at)
                      select id, expires::timestamptz from unnest(?::uuid[], ?::text[]) as v(id, expires))""");
            add(parameters, "uuid", liveHolds.stream().map(Transfer::id).toArray());
            add(parameters, "text", liveHolds.stream().map(h -> h.expiresAt().toString()).toArray());
        }
        if (!resolvedHolds.isEmpty()) {
            parts.add("r as (delete from ledger_live_hold where transfer_id = any (?::uuid[]) returning 1)");
            add(parameters, "uuid", resolvedHolds.toArray());
        }
        if (!settlements.isEmpty()) {
            parts.add("""
                s as (insert into ledger_settlement (hold_id, post_id, share_id, fee_id, cost_nano, posted_nano,
                                                     overage_nano, share_nano, fee_nano, created_at)
                      select *, ?::timestamptz from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::bigint[],
                                                         ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]))""");
            parameters.add(createdAt);
            add(parameters, "uuid", settlements.stream().map(SettlementRow::holdId).toArray());
            add(parameters, "uuid", settlements.stream().map(SettlementRow::postId).toArray());
            add(parameters, "uuid", settlements.stream().map(SettlementRow::shareId).toArray());
            add(parameters, "uuid", settlements.stream().map(SettlementRow::feeId).toArray());
            add(parameters, "bigint", settlements.stream().map(SettlementRow::costNano).toArray());
            add(parameters, "bigint", settlements.stream().map(s -> s.settlement().postedNano()).toArray());
            add(parameters, "bigint", settlements.stream().map(s -> s.settlement().overageNano()).toArray());
            add(parameters, "bigint", settlements.stream().map(s -> s.settlement().shareNano()).toArray());
            add(parameters, "bigint", settlements.stream().map(s -> s.settlement().feeNano()).toArray());
        }
        if (!accountIds.isEmpty()) {
            counterParts.add("""
                a as (update ledger_account set debits_pending = v.dp, debits_posted = v.dpo, credits_pending = v.cp,
                                                credits_posted = v.cpo
                      from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) as v(id, dp, dpo, cp, cpo)
                      where ledger_account.id = v.id)""");
            add(counterParameters, "bigint", accountIds.toArray());
            add(counterParameters, "bigint", accountCounters.stream().map(Counters::debitsPending).toArray());
            add(counterParameters, "bigint", accountCounters.stream().map(Counters::debitsPosted).toArray());
            add(counterParameters, "bigint", accountCounters.stream().map(Counters::creditsPending).toArray());
            add(counterParameters, "bigint", accountCounters.stream().map(Counters::creditsPosted).toArray());
        }
        if (!addedAccountIds.isEmpty()) {
            counterParts.add("""
                c as (update ledger_account set debits_pending = debits_pending + v.dp,
                                                debits_posted = debits_posted + v.dpo,
                                                credits_pending = credits_pending + v.cp,
                                                credits_posted = credits_posted + v.cpo
                      from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) as v(id, dp, dpo, cp, cpo)
                      where ledger_account.id = v.id
                        and (not debits_must_not_exceed_credits
                             or debits_posted + v.dpo + debits_pending + v.dp <= credits_posted + v.cpo)
                        and (not credits_must_not_exceed_debits
                             or credits_posted + v.cpo + credits_pending + v.cp <= debits_posted + v.dpo)
                      returning 1)""");
            add(counterParameters, "bigint", addedAccountIds.toArray());
            add(counterParameters, "bigint", addedCounters.stream().map(Counters::debitsPending).toArray());
            add(counterParameters, "bigint", addedCounters.stream().map(Counters::debitsPosted).toArray());
            add(counterParameters, "bigint", addedCounters.stream().map(Counters::creditsPending).toArray());
            add(counterParameters, "bigint", addedCounters.stream().map(Counters::creditsPosted).toArray());
        }
        if (!deltas.isEmpty()) {
            parts.add("""
                d as (insert into ledger_account_delta (account_id, transfer_id, debits_pending, debits_posted,
                                                        credits_pending, credits_posted)
                      select * from unnest(?::bigint[], ?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]))""");
            add(parameters, "bigint", deltas.stream().map(m -> m.account().id()).toArray());
            add(parameters, "uuid", deltas.stream().map(Transfer.Move::transferId).toArray());
            add(parameters, "bigint", deltas.stream().map(m -> m.change().debitsPending()).toArray());
            add(parameters, "bigint", deltas.stream().map(m -> m.change().debitsPosted()).toArray());
            add(parameters, "bigint", deltas.stream().map(m -> m.change().creditsPending()).toArray());
            add(parameters, "bigint", deltas.stream().map(m -> m.change().creditsPosted()).toArray());
        }
        // Two statements sent together, one round trip: the rows first, then the account counters.
        // An account row stays locked until the commit from the moment it is updated, and the rows'
        // foreign-key checks run at the end of their statement; updating the counters in a statement
        // of their own keeps those checks out of the time a busy consumer's row is locked.
        String insertedSql = transfers.isEmpty() ? "0" : "(select count(*) from t)";
        String deletedSql = resolvedHolds.isEmpty() ? "0" : "(select count(*) from r)";
        String addedSql = addedAccountIds.isEmpty() ? "0" : "(select count(*) from c)";
        List<String> statements = new ArrayList<>();
        if (!parts.isEmpty()) {
            statements.add("with " + String.join(",\n", parts) + "\nselect " + (expected == null
                ? insertedSql + ", " + deletedSql
                : "ledger_guess_held(" + insertedSql + " = ?::int and " + deletedSql
                    + " = ?::int, 'a transfer id or hold was taken'), 0"));
            if (expected != null) { // the counts are parameters, so every batch size shares one statement
                parameters.add(String.valueOf(expected.transfersInserted()));
                parameters.add(String.valueOf(expected.liveHoldsDeleted()));
            }
        }
        if (!counterParts.isEmpty()) {
            statements.add("with " + String.join(",\n", counterParts) + "\nselect " + (expected == null
                ? addedSql
                : "ledger_guess_held(" + addedSql + " = ?::int, 'an account could not take its change')"));
            if (expected != null) {
                counterParameters.add(String.valueOf(expected.countersAdded()));
            }
        }
        if (statements.isEmpty()) {
            return new Done(0, 0, 0);
        }
        if (!waitForFlush) {
            statements.addFirst("set local synchronous_commit to off");
        }
        if (expected != null) {
            // Runs only if no statement before it failed: an error skips the rest of the round trip.
            statements.add("commit");
        }
        parameters.addAll(counterParameters);
        boolean guess = !addedAccountIds.isEmpty();
        try (PreparedStatement statement = connection.prepareStatement(String.join(";\n", statements))) {
            for (int i = 0; i < parameters.size(); i++) {
                if (parameters.get(i) instanceof TypedArray(String type, Object[] values)) {
                    statement.setArray(i + 1, connection.createArrayOf(type, values));
                } else {
                    statement.setString(i + 1, (String) parameters.get(i));
                }
            }
            try {
                statement.execute();
                if (!waitForFlush) {
                    statement.getMoreResults(); // past the set's own (empty) result
                }
                int transfersInserted = 0;
                int liveHoldsDeleted = 0;
                if (!parts.isEmpty()) {
                    try (ResultSet row = statement.getResultSet()) {
                        row.next();
                        transfersInserted = row.getInt(1);
                        liveHoldsDeleted = row.getInt(2);
                    }
                    statement.getMoreResults();
                }
                int countersAdded = 0;
                if (!counterParts.isEmpty()) {
                    try (ResultSet row = statement.getResultSet()) {
                        row.next();
                        countersAdded = row.getInt(1);
                    }
                }
                return new Done(transfersInserted, liveHoldsDeleted, countersAdded);
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (UNIQUE_VIOLATION.equals(state) || FOREIGN_KEY_VIOLATION.equals(state)) {
                    // A concurrent transaction took a transfer id or hold this one found free (or, for a
                    // guess, one taken long ago): its transfer insert was skipped and a row depending on it
                    // collided. Running again sees that row.
                    throw new BatchConflict(e.getMessage(), guess);
                }
                if (GUESS_MISSED.equals(state)) {
                    throw new BatchConflict(e.getMessage(), true);
                }
                if (guess && (CHECK_VIOLATION.equals(state) || NUMERIC_VALUE_OUT_OF_RANGE.equals(state))) {
                    throw new BatchConflict(e.getMessage(), true); // the careful path judges it and names it
                }
                throw e;
            }
        }
    }

    /** An array parameter and its PostgreSQL element type. */
    private record TypedArray(String type, Object[] values) {
    }

    private static void add(List<Object> parameters, String type, Object[] values) {
        parameters.add(new TypedArray(type, values));
    }
}
