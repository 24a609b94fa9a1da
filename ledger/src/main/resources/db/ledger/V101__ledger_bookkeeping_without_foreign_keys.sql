-- Deltas, settlement rows and the sweeper's queue are the ledger's own bookkeeping: each is
-- written only by the ledger, in the same statement as the transfer it names, and never changed
-- afterwards (a delta is only deleted when folded). Their foreign keys cost a lookup and a row
-- lock on a busy row (the clearing account, the consumer's account, the transfer) for each of
-- the ~17 such rows a request writes: at 300 requests/s that was most of the database's work
-- on a request. The ledger's invariant check (Invariants.java) verifies every one of these
-- references instead; ledger_transfer keeps its foreign keys, as the money itself.
alter table ledger_account_delta
    drop constraint ledger_account_delta_account_id_fkey,
    drop constraint ledger_account_delta_transfer_id_fkey;
alter table ledger_settlement
    drop constraint ledger_settlement_hold_id_fkey,
    drop constraint ledger_settlement_post_id_fkey,
    drop constraint ledger_settlement_share_id_fkey,
    drop constraint ledger_settlement_fee_id_fkey;
alter table ledger_live_hold
    drop constraint ledger_live_hold_transfer_id_fkey;
