-- Consumers' accounts and their API keys. Keys are stored only as SHA-256 hashes: a key
-- is 256 random bits, so a fast hash is enough and lets the hot path look keys up by hash.
create table account (
    id          bigserial primary key,
    name        text        not null check (length(name) between 1 and 200),
    created_at  timestamptz not null default now()
);

create table api_key (
    id           bigserial primary key,
    account_id   bigint      not null references account (id),
    name         text        not null check (length(name) between 1 and 200),
    key_hash     text        not null unique check (length(key_hash) = 64),
    prefix       text        not null,
    last_four    text        not null,
    disabled     boolean     not null default false,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz
);
create index api_key_account on api_key (account_id);

-- Provider operators and their nodes. A node token identifies one node of one operator.
create table operator (
    id          bigserial primary key,
    name        text        not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz not null default now()
);

create table node (
    id           bigserial primary key,
    operator_id  bigint      not null references operator (id),
    name         text        not null check (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    token_hash   text        not null unique check (length(token_hash) = 64),
    created_at   timestamptz not null default now(),
    last_seen_at timestamptz,
    unique (operator_id, name)
);

-- Every model some node has ever offered, so the gateway can tell "nobody serves this now"
-- (503) from "no such model" (400).
create table model (
    id            text        primary key check (length(id) between 1 and 200),
    protocol      text        not null check (protocol in ('anthropic', 'openai')),
    first_seen_at timestamptz not null default now()
);
