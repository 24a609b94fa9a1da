package dev.mercato.gateway;

import dev.mercato.gateway.storage.DatabaseLocation;
import io.micronaut.context.ApplicationContext;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A real gateway in this JVM on a free port, on a real (embedded) PostgreSQL shared by every
 * test of the JVM. Each test creates its own accounts and nodes, so tests do not see each
 * other's data.
 */
public final class TestGateway implements AutoCloseable {

    public static final String ADMIN_TOKEN = "test-admin-token-0123456789";
    private static final AtomicInteger NODE_SEQUENCE = new AtomicInteger();
    private static DatabaseLocation database;

    private final EmbeddedServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestGateway(EmbeddedServer server) {
        this.server = server;
    }

    public static TestGateway start() {
        return start(Map.of());
    }

    public static TestGateway start(Map<String, Object> settings) {
        Map<String, Object> properties = new HashMap<>(sharedDatabase().micronautProperties());
        properties.put("micronaut.server.port", -1);
        properties.put("mercato.admin.token", ADMIN_TOKEN);
        properties.put("mercato.dev.credit-enabled", true);
        // Tests read ledger balances once every hold is resolved: an unused lease goes back 0.2 s after its last request.
        properties.put("mercato.billing.lease-idle", "200ms");
        properties.putAll(settings);
        ApplicationContext context = ApplicationContext.builder().properties(properties).start();
        return new TestGateway(context.getBean(EmbeddedServer.class).start());
    }

    /**
     * Runs statements on the shared database before a gateway starts, to clear what an earlier
     * test left under an id that every test reuses (the local chain's id, say).
     */
    public static void execute(String... statements) {
        Map<String, Object> datasource = sharedDatabase().micronautProperties();
        try (Connection connection = DriverManager.getConnection((String) datasource.get("datasources.default.url"),
                (String) datasource.get("datasources.default.username"),
                (String) datasource.getOrDefault("datasources.default.password", ""));
             Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not run " + String.join("; ", statements), e);
        }
    }

    private static synchronized DatabaseLocation sharedDatabase() {
        if (database == null) {
            try {
                Path dataDir = Files.createTempDirectory("mercato-test-pg");
                database = DatabaseLocation.embedded(dataDir);
                Runtime.getRuntime().addShutdownHook(new Thread(database::close));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return database;
    }

    /** Runs one query on this gateway's database and answers the first column of its first row. */
    public String queryText(String sql) {
        try (Connection connection = DelegatingDataSource.unwrapDataSource(bean(DataSource.class)).getConnection();
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            if (!row.next()) {
                throw new IllegalStateException("no row from " + sql);
            }
            return row.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** {@link #queryText} as a number. */
    public long queryLong(String sql) {
        return Long.parseLong(queryText(sql));
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Base URL with {@code /v1}, as the OpenAI SDK wants it. */
    public String openAiBaseUrl() {
        return baseUrl() + "/v1";
    }

    public String nodeUrl() {
        return "ws://127.0.0.1:" + server.getPort() + "/v1/nodes/connect";
    }

    public <T> T bean(Class<T> type) {
        return server.getApplicationContext().getBean(type);
    }

    /** Dev credit each test account starts with. */
    public static final String STARTING_CREDIT_USDC = "100";

    /**
     * Settings of the keys tests make unless they say otherwise: limits far above any test's
     * traffic, so only the tests of the limits meet them.
     */
    public static final String UNLIMITED_KEY = "{\"requestsPerMinute\":1000000,\"concurrentRequests\":100000}";

    /** A new account, funded with {@link #STARTING_CREDIT_USDC}, with one key; returns the key's secret. */
    public String createApiKey() {
        return createAccount().apiKey();
    }

    public NewAccount createAccount() {
        return createAccount(UNLIMITED_KEY);
    }

    /** A new funded account whose key has these settings (a JSON object, as the key API takes it; "{}": the defaults). */
    public NewAccount createAccount(String keySettingsJson) {
        Map<String, Object> created = admin("/admin/accounts", "{\"name\":\"test account\",\"key\":" + keySettingsJson + "}");
        long accountId = ((Number) created.get("accountId")).longValue();
        admin("/admin/dev-credit", "{\"accountId\":" + accountId + ",\"amountUsdc\":\"" + STARTING_CREDIT_USDC
            + "\",\"reference\":\"test\"}");
        return new NewAccount(accountId, ((Number) created.get("keyId")).longValue(), (String) created.get("apiKey"));
    }

    public record NewAccount(long accountId, long keyId, String apiKey) {
    }

    /** A new node of {@code operator} with a unique name; returns its token. */
    public NewNode createNode(String operator) {
        String name = "node-" + NODE_SEQUENCE.incrementAndGet();
        Map<String, Object> created = admin("/admin/nodes", "{\"operator\":\"" + operator + "\",\"name\":\"" + name + "\"}");
        return new NewNode((String) created.get("nodeId"), (String) created.get("nodeToken"));
    }

    public record NewNode(String displayName, String token) {
    }

    /** An admin API call with the admin token; {@code json} null makes it a GET. */
    public HttpResponse<String> adminCall(String path, String json) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header("authorization", "Bearer " + ADMIN_TOKEN)
                .header("content-type", "application/json");
            return http.send(json == null ? request.GET().build() : request.POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> admin(String path, String json) {
        try {
            HttpResponse<String> response = adminCall(path, json);
            if (response.statusCode() != 201) {
                throw new IllegalStateException("admin call " + path + " answered " + response.statusCode() + ": "
                    + response.body());
            }
            return bean(JsonMapper.class).readValue(response.body(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.getApplicationContext().close();
    }
}
