-- Every limit a key carries (issue: per-key limits). Existing keys get the platform defaults
-- of the time (60 requests a minute, 5 at once) and nothing else.
alter table api_key
    add column requests_per_minute integer not null default 60 check (requests_per_minute >= 1),
    add column concurrent_requests integer not null default 5 check (concurrent_requests >= 1),
    add column tokens_per_minute   bigint  check (tokens_per_minute >= 1),
    add column budget_nano         bigint  check (budget_nano >= 1),
    add column budget_period       text    check (budget_period in ('day', 'week', 'month', 'lifetime')),
    -- null: every model; otherwise the only models the key may call.
    add column allowed_models      text[]  check (cardinality(allowed_models) between 1 and 100),
    -- null: any address; otherwise IPv4/IPv6 addresses and CIDR ranges, in their canonical text.
    add column allowed_ips         text[]  check (cardinality(allowed_ips) between 1 and 100),
    add column expires_at          timestamptz,
    -- A deleted key is kept (usage records name it) but never authenticates again.
    add column deleted_at          timestamptz,
    add constraint api_key_budget_has_period check ((budget_nano is null) = (budget_period is null)),
    -- When a key was last used is read from its usage records; nothing wrote this column.
    drop column last_used_at;

-- The period spend of a key is summed from its usage records.
create index usage_record_key_time on usage_record (api_key_id, created_at);

-- Platform-wide defaults for new keys and ceilings for what a key's owner may set; one row.
create table key_policy (
    id                          smallint    primary key default 1 check (id = 1),
    default_requests_per_minute integer     not null check (default_requests_per_minute >= 1),
    default_concurrent_requests integer     not null check (default_concurrent_requests >= 1),
    max_requests_per_minute     integer     not null check (max_requests_per_minute >= default_requests_per_minute),
    max_concurrent_requests     integer     not null check (max_concurrent_requests >= default_concurrent_requests),
    max_tokens_per_minute       bigint      not null check (max_tokens_per_minute >= 1),
    max_keys_per_account        integer     not null check (max_keys_per_account >= 1),
    updated_at                  timestamptz not null default now()
);
insert into key_policy (default_requests_per_minute, default_concurrent_requests, max_requests_per_minute,
                        max_concurrent_requests, max_tokens_per_minute, max_keys_per_account)
values (60, 5, 10000, 100, 10000000, 100);
