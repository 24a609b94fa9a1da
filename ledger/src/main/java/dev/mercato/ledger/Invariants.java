package dev.mercato.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * ledger.md's invariants as SQL over one repeatable-read snapshot; each query returns the rows
 * that break its invariant. (Invariant 6, deposits credited exactly once, belongs to deposits.)
 */
final class Invariants {

    /** Violations reported per query; past this many the ledger is broken enough that more lines do not help. */
    static final int MAX_VIOLATIONS_PER_CHECK = 20;

    /** Every account's counters as the ledger reads them: the row plus its unfolded deltas, in numeric so sums cannot overflow. */
    private static final String CACHED = """
        cached as (
            select a.id, a.key, a.debits_must_not_exceed_credits as dmnec, a.credits_must_not_exceed_debits as cmned,
                   a.debits_pending::numeric + coalesce(sum(d.debits_pending), 0) as dp,
                   a.debits_posted::numeric + coalesce(sum(d.debits_posted), 0) as dpo,
                   a.credits_pending::numeric + coalesce(sum(d.credits_pending), 0) as cp,
                   a.credits_posted::numeric + coalesce(sum(d.credits_posted), 0) as cpo
            from ledger_account a left join ledger_account_delta d on d.account_id = a.id
            group by a.id)
        """;

    /** Every account's counters folded from its transfers alone (ledger.md "Transfers"). */
    private static final String FOLDED = """
        moves as (
            select t.debit_account_id as account_id, true as debit,
                   case when t.phase in ('single', 'post') then t.amount_nano else 0 end::numeric as posted,
                   case t.phase when 'pending' then t.amount_nano when 'single' then 0
                                else -p.amount_nano end::numeric as pending
            from ledger_transfer t left join ledger_transfer p on p.id = t.pending_id
            union all
            select t.credit_account_id, false,
                   case when t.phase in ('single', 'post') then t.amount_nano else 0 end::numeric,
                   case t.phase when 'pending' then t.amount_nano when 'single' then 0
                                else -p.amount_nano end::numeric
            from ledger_transfer t left join ledger_transfer p on p.id = t.pending_id),
        folded as (
            select account_id,
                   coalesce(sum(pending) filter (where debit), 0) as dp, coalesce(sum(posted) filter (where debit), 0) as dpo,
                   coalesce(sum(pending) filter (where not debit), 0) as cp,
                   coalesce(sum(posted) filter (where not debit), 0) as cpo
            from moves group by account_id)
        """;

    /** The unresolved pending transfers: the live holds. */
    private static final String LIVE = """
        live as (
            select t.id, t.expires_at from ledger_transfer t
            where t.phase = 'pending' and not exists (select 1 from ledger_transfer r where r.pending_id = t.id))
        """;

    private static final Set<String> APPEND_ONLY_TRIGGERS = Set.of(
        "ledger_transfer_append_only", "ledger_transfer_no_truncate",
        "ledger_settlement_append_only", "ledger_settlement_no_truncate",
        "ledger_account_fixed_identity", "ledger_account_no_delete", "ledger_account_no_truncate");

    private Invariants() {
    }

    static List<String> check(Connection connection, Instant overdueBefore) throws SQLException {
        try (PreparedStatement snapshot = connection.prepareStatement(
                "set transaction isolation level repeatable read, read only")) {
            snapshot.execute();
        }
        List<String> violations = new ArrayList<>();
        violations(connection, violations, "invariant 1: over all accounts, debits and credits differ (posted, pending)",
            "with " + CACHED + """
                select sum(dpo) - sum(cpo) as posted_difference, sum(dp) - sum(cp) as pending_difference from cached
                having sum(dpo) <> sum(cpo) or sum(dp) <> sum(cp)""");
        violations(connection, violations, "invariant 2: cached counters differ from the fold of the account's transfers",
            "with " + CACHED + ", " + FOLDED + """
                select c.key, c.dp, c.dpo, c.cp, c.cpo,
                       coalesce(f.dp, 0) as folded_dp, coalesce(f.dpo, 0) as folded_dpo,
                       coalesce(f.cp, 0) as folded_cp, coalesce(f.cpo, 0) as folded_cpo
                from cached c left join folded f on f.account_id = c.id
                where (c.dp, c.dpo, c.cp, c.cpo)
                      is distinct from (coalesce(f.dp, 0), coalesce(f.dpo, 0), coalesce(f.cp, 0), coalesce(f.cpo, 0))
                order by c.id""");
        violations(connection, violations, "invariant 2: a delta on a side that must be posted in place",
            """
                select a.key, d.transfer_id from ledger_account_delta d join ledger_account a on a.id = d.account_id
                where not a.batched
                   or (a.debits_must_not_exceed_credits and (d.debits_pending <> 0 or d.debits_posted <> 0))
                   or (a.credits_must_not_exceed_debits and (d.credits_pending <> 0 or d.credits_posted <> 0))
                order by d.id""");
        violations(connection, violations, "invariant 2: a delta, settlement or queued hold names no such row",
            """
                select 'delta' as row, d.id::text as id from ledger_account_delta d
                where not exists (select 1 from ledger_account a where a.id = d.account_id)
                   or not exists (select 1 from ledger_transfer t where t.id = d.transfer_id)
                union all
                select 'settlement', s.hold_id::text from ledger_settlement s
                where not exists (select 1 from ledger_transfer t where t.id = s.hold_id)
                   or not exists (select 1 from ledger_transfer t where t.id = s.post_id)
                   or (s.share_id is not null and not exists (select 1 from ledger_transfer t where t.id = s.share_id))
                   or (s.fee_id is not null and not exists (select 1 from ledger_transfer t where t.id = s.fee_id))
                union all
                select 'queued hold', h.transfer_id::text from ledger_live_hold h
                where not exists (select 1 from ledger_transfer t where t.id = h.transfer_id)
                order by 1, 2""");
        violations(connection, violations, "invariant 3: an account is below zero",
            "with " + CACHED + """
                select key, dpo + dp as debits, cpo as credits_posted, cpo + cp as credits, dpo as debits_posted
                from cached
                where (dmnec and dpo + dp > cpo) or (cmned and cpo + cp > dpo) or least(dp, dpo, cp, cpo) < 0
                order by id""");
        violations(connection, violations, "invariant 4: a hold resolved more than once",
            """
                select pending_id, count(*) as resolutions from ledger_transfer where pending_id is not null
                group by pending_id having count(*) > 1 order by pending_id""");
        violations(connection, violations, "invariant 4: a post or void that does not match its hold",
            """
                select t.id, t.phase, t.amount_nano, p.phase as hold_phase, p.amount_nano as held_nano
                from ledger_transfer t left join ledger_transfer p on p.id = t.pending_id
                where t.pending_id is not null
                  and (p.id is null or p.phase <> 'pending'
                       or p.debit_account_id <> t.debit_account_id or p.credit_account_id <> t.credit_account_id
                       or (t.phase = 'post' and t.amount_nano > p.amount_nano)
                       or (t.phase = 'void' and t.amount_nano <> p.amount_nano))
                order by t.id""");
        violations(connection, violations, "invariant 4: a live hold outlived its expiry by more than the sweep period",
            "with " + LIVE + """
                select id, expires_at at time zone 'UTC' as expires_at_utc from live
                where expires_at < ? order by expires_at""",
            OffsetDateTime.ofInstant(overdueBefore, ZoneOffset.UTC));
        violations(connection, violations, "invariant 4: the sweeper's queue differs from the live holds",
            "with " + LIVE + """
                select coalesce(l.id, h.transfer_id) as hold_id, l.expires_at at time zone 'UTC' as expires_at_utc,
                       h.expires_at at time zone 'UTC' as queued_expiry_utc
                from live l full join ledger_live_hold h on h.transfer_id = l.id
                where l.id is null or h.transfer_id is null or l.expires_at <> h.expires_at
                order by 1""");
        violations(connection, violations,
            "invariant 5: a settled request where the clearing account does not net to zero or user debit ≠ share + fee",
            """
                select s.hold_id, s.cost_nano, s.posted_nano, s.share_nano, s.fee_nano
                from ledger_settlement s
                join ledger_transfer h on h.id = s.hold_id
                left join ledger_transfer p on p.id = s.post_id
                left join ledger_transfer sh on sh.id = s.share_id
                left join ledger_transfer f on f.id = s.fee_id
                where p.id is null or p.phase <> 'post' or p.pending_id <> s.hold_id
                   or p.amount_nano <> s.posted_nano or p.debit_account_id <> h.debit_account_id
                   or s.posted_nano <> least(s.cost_nano, h.amount_nano)
                   or s.share_nano + s.fee_nano <> s.posted_nano
                   or (s.share_nano > 0) <> (sh.id is not null) or (s.fee_nano > 0) <> (f.id is not null)
                   or (sh.id is not null and (sh.phase <> 'single' or sh.debit_account_id <> p.credit_account_id
                                              or sh.amount_nano <> s.share_nano))
                   or (f.id is not null and (f.phase <> 'single' or f.debit_account_id <> p.credit_account_id
                                             or f.amount_nano <> s.fee_nano))
                order by s.hold_id""");
        Set<String> triggers = new TreeSet<>();
        try (PreparedStatement select = connection.prepareStatement("""
                select tgname from pg_trigger
                where tgrelid in ('ledger_transfer'::regclass, 'ledger_settlement'::regclass, 'ledger_account'::regclass)
                  and not tgisinternal and tgenabled <> 'D'""");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                triggers.add(rows.getString(1));
            }
        }
        for (String expected : new TreeSet<>(APPEND_ONLY_TRIGGERS)) {
            if (!triggers.contains(expected)) {
                violations.add("invariant 7: trigger " + expected + " is missing or disabled");
            }
        }
        return violations;
    }

    private static void violations(Connection connection, List<String> violations, String invariant, String sql,
                                   Object... parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql + " limit " + MAX_VIOLATIONS_PER_CHECK)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = select.executeQuery()) {
                ResultSetMetaData columns = rows.getMetaData();
                while (rows.next()) {
                    StringBuilder line = new StringBuilder(invariant).append(':');
                    for (int column = 1; column <= columns.getColumnCount(); column++) {
                        line.append(' ').append(columns.getColumnLabel(column)).append('=').append(rows.getString(column));
                    }
                    violations.add(line.toString());
                }
            }
        }
    }
}
