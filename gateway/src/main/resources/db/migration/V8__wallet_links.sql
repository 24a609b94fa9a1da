-- Several wallets per account, linked by signing a message. Unlinking keeps the wallet's row,
-- because sessions name the wallet that opened them; the address is then free, and the next
-- account to take it (a link, or the address's own sign-in, which creates an account) takes the
-- row over. created_at stays the first time the address was bound; linked_at is the current
-- binding's start. Sessions keep their own account and wallet, so who signed in where is never lost.
alter table wallet
    add column linked_at   timestamptz,
    add column unlinked_at timestamptz;
update wallet set linked_at = created_at;
alter table wallet
    alter column linked_at set not null,
    add constraint wallet_unlinked_after_linked check (unlinked_at is null or unlinked_at >= linked_at);
