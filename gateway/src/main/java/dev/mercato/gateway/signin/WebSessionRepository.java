package dev.mercato.gateway.signin;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.time.Instant;
import java.util.Optional;

/** Dashboard sessions by the hash of their cookie secret. */
@JdbcRepository(dialect = Dialect.POSTGRES)
interface WebSessionRepository extends GenericRepository<WebSessionRow, Long> {

    WebSessionRow save(WebSessionRow session);

    Optional<WebSessionRow> findByTokenHash(String tokenHash);

    @Query("update web_session set signed_out_at = :now where token_hash = :tokenHash and signed_out_at is null")
    void signOut(String tokenHash, Instant now);

    /** Ends the account's open sessions that this wallet signed in, as its unlinking does. */
    @Query("""
        update web_session set signed_out_at = :now
        where account_id = :accountId and address = :address and signed_out_at is null""")
    int signOutWallet(long accountId, String address, Instant now);
}
