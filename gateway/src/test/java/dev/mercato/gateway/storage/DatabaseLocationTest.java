package dev.mercato.gateway.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseLocationTest {

    @Test
    void turnsAHerokuStyleDatabaseUrlIntoDatasourceSettings() {
        assertEquals(Map.of("datasources.default.url", "jdbc:postgresql://db.internal:6543/mercato?sslmode=require",
                "datasources.default.username", "app", "datasources.default.password", "p@ss:word"),
            DatabaseLocation.fromDatabaseUrl("postgres://app:p%40ss%3Aword@db.internal:6543/mercato?sslmode=require"));
        assertEquals(Map.of("datasources.default.url", "jdbc:postgresql://localhost:5432/m"),
            DatabaseLocation.fromDatabaseUrl("postgresql://localhost/m"));
        assertEquals(Map.of("datasources.default.url", "jdbc:postgresql://h/db"),
            DatabaseLocation.fromDatabaseUrl("jdbc:postgresql://h/db"));
        assertThrows(IllegalArgumentException.class, () -> DatabaseLocation.fromDatabaseUrl("mysql://h/db"));
    }

    @Test
    void prefersDatabaseUrlOverTheEmbeddedDefault() {
        try (DatabaseLocation location = DatabaseLocation.resolve(Map.of("DATABASE_URL", "postgres://u:p@h:1/d"),
            new Properties())) {
            assertEquals("jdbc:postgresql://h:1/d", location.micronautProperties().get("datasources.default.url"));
        }
    }

    @Test
    void embeddedCommitsAreDurable(@TempDir Path dataDir) throws Exception {
        try (DatabaseLocation location = DatabaseLocation.embedded(dataDir);
             Connection connection = connect(location)) {
            assertEquals("on", setting(connection, "fsync"));
            assertEquals("on", setting(connection, "synchronous_commit"));
        }
    }

    private static String setting(Connection connection, String name) throws Exception {
        try (ResultSet rows = connection.createStatement().executeQuery("show " + name)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @Test
    void embeddedDataSurvivesARestart(@TempDir Path dataDir) throws Exception {
        try (DatabaseLocation first = DatabaseLocation.embedded(dataDir);
             Connection connection = connect(first)) {
            connection.createStatement().execute("create table kept (v int); insert into kept values (42)");
        }
        try (DatabaseLocation second = DatabaseLocation.embedded(dataDir);
             Connection connection = connect(second);
             ResultSet rows = connection.createStatement().executeQuery("select v from kept")) {
            assertTrue(rows.next());
            assertEquals(42, rows.getInt(1));
        }
    }

    private static Connection connect(DatabaseLocation location) throws Exception {
        return DriverManager.getConnection((String) location.micronautProperties().get("datasources.default.url"),
            "postgres", "");
    }
}
