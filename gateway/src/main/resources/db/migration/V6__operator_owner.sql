-- An operator belongs to the account that registered it from its wallet session; operators an
-- admin created before (or without an owner) have none and are managed through the admin API.
alter table operator add column account_id bigint references account (id);
create index operator_account on operator (account_id) where account_id is not null;

-- The operator view sums each node's last day of usage.
create index usage_record_operator on usage_record (operator_id, created_at);
