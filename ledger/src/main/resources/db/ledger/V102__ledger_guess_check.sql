-- A guessed write (Writes.commitGuess) commits in the same round trip as its rows, so whether
-- the guess held must be decided inside the database: this raises (SQLSTATE ML001) when it did
-- not, which aborts the transaction before its COMMIT runs. Returns 0 so it can be selected.
create function ledger_guess_held(held boolean, what text) returns int
    language plpgsql as
$$
begin
    if not held then
        raise exception using errcode = 'ML001', message = what;
    end if;
    return 0;
end
$$;
