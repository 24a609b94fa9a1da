package dev.mercato.gateway.signin;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.time.Instant;
import java.util.Optional;

/** Issued, unused sign-in nonces. */
@JdbcRepository(dialect = Dialect.POSTGRES)
interface NonceRepository extends GenericRepository<NonceRow, String> {

    @Query("insert into sign_in_nonce (nonce, expires_at, created_at) values (:nonce, :expiresAt, :createdAt)")
    void insert(String nonce, Instant expiresAt, Instant createdAt);

    Optional<NonceRow> findByNonce(String nonce);

    /**
     * Uses the nonce: 1 when this call deleted it, 0 when it is gone or expired. Of two transactions
     * using one nonce the second waits for the first and then deletes nothing, so a nonce signs in once.
     */
    @Query("delete from sign_in_nonce where nonce = :nonce and expires_at > :now")
    int consume(String nonce, Instant now);

    @Query("select count(*) from sign_in_nonce where expires_at > :now")
    long countPending(Instant now);

    @Query("""
        delete from sign_in_nonce
        where nonce in (select nonce from sign_in_nonce where expires_at <= :now limit :limit)""")
    int deleteExpired(Instant now, int limit);
}
