-- One row per request a node served, metadata only: nothing of a prompt or a completion.
create table usage_record (
    id                  bigserial   primary key,
    request_id          text        not null unique,
    account_id          bigint      not null references account (id),
    api_key_id          bigint      not null references api_key (id),
    model_id            text        not null,
    node                text        not null,
    operator_id         bigint      not null references operator (id),
    input_tokens        bigint      not null check (input_tokens >= 0),
    output_tokens       bigint      not null check (output_tokens >= 0),
    cache_write_tokens  bigint      not null check (cache_write_tokens >= 0),
    cache_read_tokens   bigint      not null check (cache_read_tokens >= 0),
    reasoning_tokens    bigint      not null check (reasoning_tokens >= 0),
    cost_nano           bigint      not null check (cost_nano >= 0),
    outcome             text        not null,
    latency_millis      bigint      not null check (latency_millis >= 0),
    first_byte_millis   bigint               check (first_byte_millis >= 0),
    created_at          timestamptz not null default now()
);
create index usage_record_account on usage_record (account_id, id desc);
