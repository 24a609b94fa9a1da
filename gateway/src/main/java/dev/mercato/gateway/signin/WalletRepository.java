package dev.mercato.gateway.signin;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Which account each wallet signs in to; a wallet unlinked from its account belongs to none. */
@JdbcRepository(dialect = Dialect.POSTGRES)
interface WalletRepository extends GenericRepository<WalletRow, String> {

    /**
     * The account the wallet is linked to, share-locked until the transaction ends, so an unlink of the
     * wallet waits for a sign-in that found it (and then ends the session it opened) or goes first.
     */
    @Query("""
        select address, account_id, created_at, linked_at, unlinked_at from wallet
        where address = :address and unlinked_at is null
        for share""")
    Optional<WalletRow> findLinked(String address);

    /**
     * Binds the wallet to the account if no account holds it (never seen, or unlinked): 1 when this call
     * bound it, 0 when another account holds it. A concurrent binding of the same wallet is waited for, and
     * the primary key lets exactly one of them win.
     */
    @Query("""
        insert into wallet (address, account_id, created_at, linked_at) values (:address, :accountId, :now, :now)
        on conflict (address) do update
            set account_id = excluded.account_id, linked_at = excluded.linked_at, unlinked_at = null
            where wallet.unlinked_at is not null""")
    int claim(String address, long accountId, Instant now);

    @Query("""
        select address, account_id, created_at, linked_at, unlinked_at from wallet
        where account_id = :accountId and unlinked_at is null
        order by linked_at, address""")
    List<WalletRow> findLinkedToAccount(long accountId);

    @Query("select count(*) from wallet where account_id = :accountId and unlinked_at is null")
    long countLinkedToAccount(long accountId);

    @Query("update wallet set unlinked_at = :now where address = :address and account_id = :accountId and unlinked_at is null")
    int unlink(String address, long accountId, Instant now);

    /**
     * Locks the account's row against other links and unlinks of its wallets until the transaction ends,
     * so the wallet limit and the last-wallet rule hold when they run at once: 1, or 0 when there is no
     * such account. It changes no key, so the lock is FOR NO KEY UPDATE, and sessions and wallets that
     * reference the account are still written meanwhile.
     */
    @Query("update account set name = name where id = :accountId")
    int lockAccount(long accountId);
}
