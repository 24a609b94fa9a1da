package dev.mercato.gateway.storage;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where the gateway's PostgreSQL is: {@code DATABASE_URL}, the Micronaut datasource settings,
 * or, when neither is given, an embedded PostgreSQL whose data survives restarts.
 */
public final class DatabaseLocation implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseLocation.class);

    /** Where embedded data lives when {@code MERCATO_DATA_DIR} is not set, relative to the working directory. */
    static final String DEFAULT_DATA_DIR = ".mercato/data";

    private final Map<String, Object> micronautProperties;
    private final EmbeddedPostgres embedded;

    private DatabaseLocation(Map<String, Object> micronautProperties, EmbeddedPostgres embedded) {
        this.micronautProperties = Map.copyOf(micronautProperties);
        this.embedded = embedded;
    }

    public static DatabaseLocation resolve(Map<String, String> env, Properties systemProperties) {
        String databaseUrl = env.get("DATABASE_URL");
        if (databaseUrl != null && !databaseUrl.isBlank()) {
            LOG.info("Using the PostgreSQL database from DATABASE_URL");
            return new DatabaseLocation(fromDatabaseUrl(databaseUrl), null);
        }
        if (env.containsKey("DATASOURCES_DEFAULT_URL") || systemProperties.containsKey("datasources.default.url")) {
            LOG.info("Using the PostgreSQL database from the datasources.default settings");
            return new DatabaseLocation(Map.of(), null);
        }
        Path dataDir = Path.of(env.getOrDefault("MERCATO_DATA_DIR", DEFAULT_DATA_DIR)).toAbsolutePath().normalize();
        return embedded(dataDir.resolve("postgres"));
    }

    /**
     * Starts (or reopens) an embedded PostgreSQL keeping its data in {@code pgDataDir}. The caller
     * must {@link #close()} it: nothing stops it at JVM exit on its own.
     */
    public static DatabaseLocation embedded(Path pgDataDir) {
        try {
            Files.createDirectories(pgDataDir);
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(pgDataDir)
                .setCleanDataDirectory(false)
                // The library starts PostgreSQL for throwaway tests (fsync off, asynchronous
                // commit); this database keeps accounts and money, so a commit must be durable.
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                // The library's own shutdown hook would stop PostgreSQL while the gateway still writes
                // what it has queued; whoever opens this location closes it, after its last connection.
                .setRegisterShutdownHook(false)
                .start();
            String jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
            LOG.warn("No database configured: started an embedded PostgreSQL on port {} with its data in {}. "
                + "This mode is for trying Mercato on one machine; set DATABASE_URL to use a real server.",
                postgres.getPort(), pgDataDir);
            return new DatabaseLocation(datasource(jdbcUrl, "postgres", ""), postgres);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + pgDataDir, e);
        }
    }

    /** Accepts {@code postgres://user:pass@host:port/db?…} (the common form) or a {@code jdbc:postgresql:} URL. */
    static Map<String, Object> fromDatabaseUrl(String databaseUrl) {
        if (databaseUrl.startsWith("jdbc:postgresql:")) {
            return datasource(databaseUrl, null, null);
        }
        URI uri = URI.create(databaseUrl);
        if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
            throw new IllegalArgumentException("DATABASE_URL must start with postgres://, postgresql:// or "
                + "jdbc:postgresql:, was " + uri.getScheme() + "://…");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
        }
        int port = uri.getPort() == -1 ? 5432 : uri.getPort();
        String jdbcUrl = "jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath()
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return datasource(jdbcUrl, user, password);
    }

    private static Map<String, Object> datasource(String jdbcUrl, String user, String password) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("datasources.default.url", jdbcUrl);
        if (user != null) {
            properties.put("datasources.default.username", user);
        }
        if (password != null) {
            properties.put("datasources.default.password", password);
        }
        return properties;
    }

    public Map<String, Object> micronautProperties() {
        return micronautProperties;
    }

    @Override
    public void close() {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly", e);
            }
        }
    }
}
