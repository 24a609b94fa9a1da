-- Prices are data, kept with their history: a change inserts a row, nothing is updated,
-- so the price in force at any moment can be told afterwards. Integer micro-USDC per
-- million tokens, per token kind; the provider's share in basis points.
create table model_price (
    id                           bigserial   primary key,
    model_id                     text        not null check (length(model_id) between 1 and 200),
    input_per_million_micros     bigint      not null check (input_per_million_micros >= 0),
    output_per_million_micros    bigint      not null check (output_per_million_micros >= 0),
    cache_write_per_million_micros bigint    not null check (cache_write_per_million_micros >= 0),
    cache_read_per_million_micros  bigint    not null check (cache_read_per_million_micros >= 0),
    provider_share_bps           integer     not null check (provider_share_bps between 0 and 10000),
    max_output_tokens            integer     not null check (max_output_tokens between 1 and 10000000),
    effective_from               timestamptz not null default now(),
    changed_by                   text        not null
);
create index model_price_current on model_price (model_id, effective_from desc, id desc);
