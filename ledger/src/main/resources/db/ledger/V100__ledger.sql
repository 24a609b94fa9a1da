-- The ledger: double-entry, append-only, integer nano-USDC, two-phase holds (ledger.md).
-- Versions V100 and up belong to the ledger module; the gateway owns V1-V99.

-- An account's four counters are the fold of its transfers. For a batched account part of
-- that fold lives in ledger_account_delta until roll-up, so its balance is row + deltas.
create table ledger_account (
    id                             bigserial   primary key,
    key                            text        not null unique
        check (length(key) <= 200 and key ~ '^[a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)+$'),
    debits_pending                 bigint      not null default 0 check (debits_pending >= 0),
    debits_posted                  bigint      not null default 0 check (debits_posted >= 0),
    credits_pending                bigint      not null default 0 check (credits_pending >= 0),
    credits_posted                 bigint      not null default 0 check (credits_posted >= 0),
    debits_must_not_exceed_credits boolean     not null,
    credits_must_not_exceed_debits boolean     not null,
    -- Batched accounts take postings that cannot break their balance flag as deltas, off the request's row lock.
    batched                        boolean     not null,
    created_at                     timestamptz not null,
    constraint ledger_account_one_balance_flag
        check (not (debits_must_not_exceed_credits and credits_must_not_exceed_debits)),
    -- The database itself refuses a balance below zero; an overflowing sum is an error too.
    constraint ledger_account_debits_within_credits
        check (not debits_must_not_exceed_credits or debits_posted + debits_pending <= credits_posted),
    constraint ledger_account_credits_within_debits
        check (not credits_must_not_exceed_debits or credits_posted + credits_pending <= debits_posted)
);

create table ledger_transfer (
    id                uuid        primary key,
    debit_account_id  bigint      not null references ledger_account (id),
    credit_account_id bigint      not null references ledger_account (id),
    amount_nano       bigint      not null check (amount_nano > 0),
    code              text        not null check (code ~ '^[a-z][a-z0-9_]{0,62}$'),
    phase             text        not null check (phase in ('single', 'pending', 'post', 'void')),
    -- Unique: a pending transfer is resolved (posted or voided) at most once.
    pending_id        uuid        unique references ledger_transfer (id),
    expires_at        timestamptz,
    user_data         text        check (length(user_data) <= 1000),
    created_at        timestamptz not null,
    constraint ledger_transfer_two_accounts check (debit_account_id <> credit_account_id),
    constraint ledger_transfer_resolution_names_its_hold check ((phase in ('post', 'void')) = (pending_id is not null)),
    constraint ledger_transfer_hold_expires check ((phase = 'pending') = (expires_at is not null))
);
create index ledger_transfer_debit_account on ledger_transfer (debit_account_id);
create index ledger_transfer_credit_account on ledger_transfer (credit_account_id);

-- Postings to batched accounts, waiting to be folded into ledger_account by the roll-up.
-- Insert-only on the request path, so concurrent requests never wait on each other here.
create table ledger_account_delta (
    id              bigserial primary key,
    account_id      bigint    not null references ledger_account (id),
    transfer_id     uuid      not null references ledger_transfer (id),
    debits_pending  bigint    not null,
    debits_posted   bigint    not null check (debits_posted >= 0),
    credits_pending bigint    not null,
    credits_posted  bigint    not null check (credits_posted >= 0)
);
create index ledger_account_delta_account on ledger_account_delta (account_id);

-- The sweeper's queue: holds not yet posted or voided, by expiry. Kept in the same
-- transaction as the transfers, so the sweeper never scans resolved history.
create table ledger_live_hold (
    transfer_id uuid        primary key references ledger_transfer (id),
    expires_at  timestamptz not null
);
create index ledger_live_hold_expiry on ledger_live_hold (expires_at);

-- One row per settled request: what it cost, what was posted, and how it was split.
create table ledger_settlement (
    hold_id      uuid        primary key references ledger_transfer (id),
    post_id      uuid        not null unique references ledger_transfer (id),
    share_id     uuid        unique references ledger_transfer (id),
    fee_id       uuid        unique references ledger_transfer (id),
    cost_nano    bigint      not null check (cost_nano > 0),
    posted_nano  bigint      not null check (posted_nano > 0),
    overage_nano bigint      not null check (overage_nano >= 0),
    share_nano   bigint      not null check (share_nano >= 0),
    fee_nano     bigint      not null check (fee_nano >= 0),
    created_at   timestamptz not null,
    constraint ledger_settlement_cost_is_posted_plus_overage check (posted_nano + overage_nano = cost_nano),
    constraint ledger_settlement_split_is_exact check (share_nano + fee_nano = posted_nano),
    constraint ledger_settlement_share_transfer check ((share_nano > 0) = (share_id is not null)),
    constraint ledger_settlement_fee_transfer check ((fee_nano > 0) = (fee_id is not null))
);

create function ledger_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % refused', tg_table_name, tg_op
        using errcode = 'integrity_constraint_violation';
end
$$;

create trigger ledger_transfer_append_only before update or delete on ledger_transfer
    for each row execute function ledger_refuse_change();
create trigger ledger_transfer_no_truncate before truncate on ledger_transfer
    for each statement execute function ledger_refuse_change();
create trigger ledger_settlement_append_only before update or delete on ledger_settlement
    for each row execute function ledger_refuse_change();
create trigger ledger_settlement_no_truncate before truncate on ledger_settlement
    for each statement execute function ledger_refuse_change();
-- Accounts keep their key and flags for life and are never deleted; only the counters move.
create trigger ledger_account_fixed_identity before update of id, key, debits_must_not_exceed_credits,
    credits_must_not_exceed_debits, batched, created_at on ledger_account
    for each row execute function ledger_refuse_change();
create trigger ledger_account_no_delete before delete on ledger_account
    for each row execute function ledger_refuse_change();
create trigger ledger_account_no_truncate before truncate on ledger_account
    for each statement execute function ledger_refuse_change();
