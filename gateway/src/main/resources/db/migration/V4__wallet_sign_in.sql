-- Sign-In with Ethereum (EIP-4361). A wallet is bound to exactly one account, made at its
-- first sign-in; the primary key on the lower-case address is what makes two simultaneous
-- first sign-ins of one wallet end with one account.
create table wallet (
    address     text        primary key check (address ~ '^0x[0-9a-f]{40}$'),
    account_id  bigint      not null references account (id),
    created_at  timestamptz not null default now()
);
create index wallet_account on wallet (account_id);

-- Nonces handed out for sign-in messages. A sign-in deletes its nonce in the transaction that
-- creates the session, so a signed message is good for one session on any gateway. Expired
-- rows are deleted, a bounded number at a time, whenever a nonce is issued.
create table sign_in_nonce (
    nonce       text        primary key check (nonce ~ '^[A-Za-z0-9]{8,64}$'),
    expires_at  timestamptz not null,
    created_at  timestamptz not null default now()
);
create index sign_in_nonce_expiry on sign_in_nonce (expires_at);

-- Dashboard sessions. The cookie carries 256 random bits; only their SHA-256 is stored, so a
-- copy of this table signs nobody in.
create table web_session (
    id             bigserial   primary key,
    token_hash     text        not null unique check (length(token_hash) = 64),
    account_id     bigint      not null references account (id),
    address        text        not null references wallet (address),
    created_at     timestamptz not null default now(),
    expires_at     timestamptz not null check (expires_at > created_at),
    signed_out_at  timestamptz
);
create index web_session_account on web_session (account_id);
