-- On-chain USDC deposits (ledger.md, Deposits). One scan cursor per configured chain, and one
-- row per USDC Transfer to the treasury the scanner has seen.

-- Where the scan of a chain stands. Blocks below next_block are final and scanned; the hash of
-- the last one is kept, so a reorg below finality is noticed (the chain is then halted, and
-- nothing more is credited on it until an admin has looked and resumed it).
create table chain_scan (
    chain_id           bigint      primary key check (chain_id > 0),
    next_block         bigint      not null check (next_block >= 0),
    last_block_number  bigint,
    last_block_hash    text        check (last_block_hash ~ '^0x[0-9a-f]{64}$'),
    -- What the chain reported at the last pass, for the deposits list (confirmations) and the admin view.
    finalized_block    bigint      check (finalized_block >= 0),
    latest_block       bigint      check (latest_block >= 0),
    halted_at          timestamptz,
    halt_reason        text        check (length(halt_reason) between 1 and 2000),
    updated_at         timestamptz not null,
    constraint chain_scan_last_block check ((last_block_number is null) = (last_block_hash is null)),
    constraint chain_scan_last_block_below_next check (last_block_number is null or last_block_number = next_block - 1),
    constraint chain_scan_halt check ((halted_at is null) = (halt_reason is null))
);

-- A USDC transfer to the treasury. pending: seen in a block not yet final, shown and never
-- credited (removed if a reorg drops it). credited: final, from a wallet registered to
-- account_id, credited to it. review: final, from an unknown address, credited to the
-- unassigned-deposits account until an admin assigns it. assigned: a review deposit an admin
-- moved to account_id. (chain_id, tx_hash, log_index) names a transfer wherever it is mined,
-- so a re-scan, a duplicate log or a re-included transaction finds the row it already has.
create table deposit (
    id            bigserial   primary key,
    chain_id      bigint      not null check (chain_id > 0),
    tx_hash       text        not null check (tx_hash ~ '^0x[0-9a-f]{64}$'),
    log_index     integer     not null check (log_index >= 0),
    block_number  bigint      not null check (block_number >= 0),
    block_hash    text        not null check (block_hash ~ '^0x[0-9a-f]{64}$'),
    from_address  text        not null check (from_address ~ '^0x[0-9a-f]{40}$'),
    -- Token base units (USDC: 6 decimals); the ledger's nano-USDC are 1,000 of them.
    amount_units  bigint      not null check (amount_units > 0),
    amount_nano   bigint      not null check (amount_nano = amount_units * 1000),
    account_id    bigint      references account (id),
    status        text        not null check (status in ('pending', 'credited', 'review', 'assigned')),
    seen_at       timestamptz not null,
    credited_at   timestamptz,
    assigned_at   timestamptz,
    assigned_by   text        check (length(assigned_by) between 1 and 200),
    unique (chain_id, tx_hash, log_index),
    constraint deposit_credited_has_account check (status not in ('credited', 'assigned') or account_id is not null),
    constraint deposit_review_has_no_account check (status <> 'review' or account_id is null),
    constraint deposit_booked_when_final check ((status = 'pending') = (credited_at is null)),
    constraint deposit_assignment check ((status = 'assigned') = (assigned_at is not null and assigned_by is not null))
);
create index deposit_account on deposit (account_id, id);
create index deposit_review on deposit (id) where status = 'review';
create index deposit_pending on deposit (chain_id, block_number) where status = 'pending';
