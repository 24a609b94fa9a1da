package dev.mercato.gateway.billing;

import dev.mercato.ledger.Ledger;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

import javax.sql.DataSource;
import java.time.Clock;

/** The ledger on the gateway's database (its schema is migrated by the gateway's Flyway). */
@Factory
class LedgerFactory {

    @Singleton
    Ledger ledger(DataSource dataSource, Clock clock) {
        // The ledger runs its own transactions; give it the pool, not Micronaut's transaction-aware proxy.
        return new Ledger(DelegatingDataSource.unwrapDataSource(dataSource), clock);
    }
}
