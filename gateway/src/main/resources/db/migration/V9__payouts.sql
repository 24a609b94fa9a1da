-- Operator payouts (ledger.md, provider withdrawal). A payout is requested once per
-- (account, idempotency key): its id derives from them, so a retried request finds its row.
-- Its amount is held in the ledger (provider:<operator> -> asset:usdc:<chain>, pending) from the
-- request until the payout transaction is final (the hold is posted) or has failed (voided).
--
-- requested: held, waiting for the chain's payout worker. sent: a signed transaction is stored
-- and broadcast. paid: the transfer is final and the hold posted. failed: the transaction
-- reverted, or its nonce was taken by the cancelling transaction or another one, or it was
-- never sent; the hold is voided and the amount is back in the operator's earnings.
create table payout (
    id            uuid        primary key,
    account_id    bigint      not null references account (id),
    operator_id   bigint      not null references operator (id),
    chain_id      bigint      not null check (chain_id > 0),
    to_address    text        not null check (to_address ~ '^0x[0-9a-f]{40}$'),
    -- Token base units (USDC: 6 decimals); the ledger's nano-USDC are 1,000 of them.
    amount_units  bigint      not null check (amount_units > 0),
    amount_nano   bigint      not null check (amount_nano = amount_units * 1000),
    hold_id       uuid        not null unique,
    status        text        not null check (status in ('requested', 'sent', 'paid', 'failed')),
    -- Why a payout waits (the hot wallet is short of funds, the chain does not answer); cleared when it moves.
    waiting_for   text        check (length(waiting_for) between 1 and 2000),
    failure       text        check (length(failure) between 1 and 2000),
    tx_hash       text        check (tx_hash ~ '^0x[0-9a-f]{64}$'),
    block_number  bigint      check (block_number >= 0),
    requested_at  timestamptz not null,
    sent_at       timestamptz,
    resolved_at   timestamptz,
    constraint payout_failed_says_why check ((status = 'failed') = (failure is not null)),
    constraint payout_paid_names_its_block check ((status = 'paid') = (block_number is not null)),
    constraint payout_resolved check ((status in ('paid', 'failed')) = (resolved_at is not null))
);
create index payout_operator on payout (operator_id, requested_at);
create index payout_open on payout (chain_id, requested_at) where status in ('requested', 'sent');

-- The signed transactions of a payout, written before they are broadcast, so a worker that
-- restarts broadcasts the same bytes again instead of signing a second payment. transfer: the
-- USDC transfer; cancel: a 0-value transaction to the hot wallet itself with the same nonce at
-- a higher price, sent when the transfer was not mined in time. Whichever is mined decides.
create table payout_tx (
    payout_id      uuid        not null references payout (id),
    kind           text        not null check (kind in ('transfer', 'cancel')),
    chain_id       bigint      not null check (chain_id > 0),
    from_address   text        not null check (from_address ~ '^0x[0-9a-f]{40}$'),
    nonce          bigint      not null check (nonce >= 0),
    gas_price_wei  numeric(78) not null check (gas_price_wei > 0),
    tx_hash        text        not null unique check (tx_hash ~ '^0x[0-9a-f]{64}$'),
    signed_tx      text        not null check (signed_tx ~ '^0x[0-9a-f]+$'),
    created_at     timestamptz not null,
    primary key (payout_id, kind)
);
-- One transfer per nonce of the hot wallet: a nonce is used again only by its own payout's cancel.
create unique index payout_tx_nonce on payout_tx (chain_id, from_address, nonce) where kind = 'transfer';
