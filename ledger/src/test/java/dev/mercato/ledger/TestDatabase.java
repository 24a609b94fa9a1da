package dev.mercato.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/** One embedded PostgreSQL per test JVM, and a freshly migrated database on it for each caller. */
final class TestDatabase {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestDatabase() {
    }

    /** A new, empty database with the ledger's migrations applied, behind a pool of {@code maxConnections}. */
    static HikariDataSource fresh(int maxConnections) {
        String name = "ledger_test_" + DATABASES.incrementAndGet();
        EmbeddedPostgres postgres = server();
        try (Connection admin = postgres.getPostgresDatabase().getConnection();
             Statement create = admin.createStatement()) {
            create.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", name));
        config.setUsername("postgres");
        config.setMaximumPoolSize(maxConnections);
        config.setPoolName(name);
        config.setConnectionInitSql(Ledger.CONNECTION_INIT_SQL);
        HikariDataSource pool = new HikariDataSource(config);
        Flyway.configure().dataSource(pool).locations(Ledger.MIGRATIONS_LOCATION).load().migrate();
        return pool;
    }

    private static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
            }
        }
        return server;
    }
}
