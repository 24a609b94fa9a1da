package dev.mercato.gateway.signin;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.time.Instant;
import java.util.Optional;

/** Which account each wallet signs in to. */
@JdbcRepository(dialect = Dialect.POSTGRES)
interface WalletRepository extends GenericRepository<WalletRow, String> {

    Optional<WalletRow> findByAddress(String address);

    /** Binds the wallet unless it is bound already; waits for a concurrent binding of the same wallet to commit. */
    @Query("""
        insert into wallet (address, account_id, created_at) values (:address, :accountId, :createdAt)
        on conflict (address) do nothing""")
    void insertIfAbsent(String address, long accountId, Instant createdAt);
}
