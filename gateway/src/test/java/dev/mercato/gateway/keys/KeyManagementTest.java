package dev.mercato.gateway.keys;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.signin.TestWallet;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The key API under a wallet session: what an owner can do with their keys, and every refusal. */
class KeyManagementTest {

    private static TestGateway gateway;
    private static String session;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        gateway = TestGateway.start();
        session = TestWallet.create().signIn(gateway);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void createsAKeyShowingItsSecretOnceWithThePlatformDefaults() throws Exception {
        HttpResponse<String> created = call("POST", "/account/keys", session, "{\"name\":\"laptop\"}");
        assertEquals(201, created.statusCode(), created.body());
        Map<?, ?> key = json(created);
        String secret = (String) key.get("secret");
        assertTrue(secret.startsWith("msk_") && secret.length() == 47, secret);
        assertEquals(secret.substring(0, 8), key.get("prefix"));
        assertEquals(secret.substring(43), key.get("lastFour"));
        assertEquals("laptop", key.get("name"));
        assertEquals(Map.of("requestsPerMinute", 60, "concurrentRequests", 5), withoutNulls((Map<?, ?>) key.get("limits")));
        assertEquals(Map.of("period", "month", "periodStart", key.get("spend") instanceof Map<?, ?> spend
            ? spend.get("periodStart") : "", "periodUsdc", "0", "lifetimeUsdc", "0"), key.get("spend"));

        HttpResponse<String> listed = call("GET", "/account/keys", session, null);
        assertEquals(200, listed.statusCode());
        List<?> keys = (List<?>) json(listed).get("data");
        Map<?, ?> listedKey = keys.stream().map(k -> (Map<?, ?>) k).filter(k -> k.get("id").equals(key.get("id")))
            .findFirst().orElseThrow();
        assertNull(listedKey.get("secret"), "the secret is shown only when the key is created");
        assertFalse(listed.body().contains(secret));

        // The new key works on the consumer routes.
        HttpResponse<String> balance = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/balance"))
            .header("authorization", "Bearer " + secret).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, balance.statusCode(), balance.body());
    }

    @Test
    void updatesDisablesEnablesAndDeletesAKey() throws Exception {
        Map<?, ?> key = json(call("POST", "/account/keys", session, "{\"name\":\"ci\"}"));
        String secret = (String) key.get("secret");
        String path = "/account/keys/" + key.get("id");

        HttpResponse<String> changed = call("PATCH", path, session, "{\"requestsPerMinute\":30,\"tokensPerMinute\":5000,"
            + "\"budget\":{\"amountUsdc\":\"10\",\"period\":\"month\"},\"allowedModels\":[\"m-1\",\"m-2\"],"
            + "\"allowedIps\":[\"127.0.0.1\",\"10.1.2.3/8\",\"2001:db8::/32\"],\"expiresAt\":\"2099-01-01T00:00:00Z\"}");
        assertEquals(200, changed.statusCode(), changed.body());
        Map<?, ?> limits = (Map<?, ?>) json(changed).get("limits");
        assertEquals(30, limits.get("requestsPerMinute"));
        assertEquals(5, limits.get("concurrentRequests"), "unchanged");
        assertEquals(5000, limits.get("tokensPerMinute"));
        assertEquals(Map.of("amountUsdc", "10", "period", "month"), limits.get("budget"));
        assertEquals(List.of("m-1", "m-2"), limits.get("allowedModels"));
        assertEquals(List.of("127.0.0.1", "10.0.0.0/8", "2001:db8:0:0:0:0:0:0/32"), limits.get("allowedIps"));
        assertEquals("2099-01-01T00:00:00Z", json(changed).get("expiresAt"));

        HttpResponse<String> cleared = call("PATCH", path, session, "{\"budget\":null,\"allowedModels\":null}");
        Map<?, ?> clearedLimits = (Map<?, ?>) json(cleared).get("limits");
        assertNull(clearedLimits.get("budget"));
        assertNull(clearedLimits.get("allowedModels"));
        assertEquals(30, clearedLimits.get("requestsPerMinute"));

        assertEquals(200, call("PATCH", path, session, "{\"disabled\":true}").statusCode());
        assertRefused(consumerCall(secret), 401, "api_key_disabled");
        assertEquals(200, call("PATCH", path, session, "{\"disabled\":false}").statusCode());
        assertEquals(200, consumerCall(secret).statusCode());

        assertEquals(204, call("DELETE", path, session, null).statusCode());
        assertRefused(consumerCall(secret), 401, "invalid_api_key");
        assertRefused(call("GET", path, session, null), 404, "not_found");
    }

    @Test
    void refusesBadSettingsNamingTheFieldAndTheBadValue() throws Exception {
        assertInvalid("{\"allowedIps\":[\"10.0.0.1\",\"10.0.0.0/33\"]}", "allowedIps",
            "allowedIps: '10.0.0.0/33' is not a valid CIDR range: the prefix length must be 0 to 32.");
        assertInvalid("{\"requestsPerMinute\":0}", "requestsPerMinute",
            "requestsPerMinute must be a whole number from 1 to 2147483647, was 0.");
        assertInvalid("{\"requestsPerMinute\":10001}", "requestsPerMinute",
            "requestsPerMinute may be at most 10000, was 10001.");
        assertInvalid("{\"concurrentRequests\":101}", "concurrentRequests", "concurrentRequests may be at most 100, was 101.");
        assertInvalid("{\"budget\":{\"amountUsdc\":\"10\",\"period\":\"year\"}}", "budget",
            "budget.period: a budget period is one of day, week, month or lifetime, was 'year'.");
        assertInvalid("{\"budget\":{\"amountUsdc\":\"0.0000000001\",\"period\":\"day\"}}", "budget",
            "budget.amountUsdc must be a decimal USDC amount with at most 9 decimals, was '0.0000000001'.");
        assertInvalid("{\"expiresAt\":\"2001-01-01T00:00:00Z\"}", "expiresAt",
            "expiresAt must be in the future, was 2001-01-01T00:00:00Z.");
        assertInvalid("{\"expiresAt\":\"tomorrow\"}", "expiresAt",
            "expiresAt must be an RFC 3339 time such as 2027-01-31T00:00:00Z, was tomorrow.");
        assertInvalid("{\"rpm\":5}", "rpm", "Unknown key setting 'rpm'; the settings are allowedIps, allowedModels, budget, "
            + "concurrentRequests, disabled, expiresAt, name, requestsPerMinute, tokensPerMinute.");
        HttpResponse<String> notJson = call("POST", "/account/keys", session, "{nope");
        assertRefused(notJson, 400, "invalid_request");
    }

    @Test
    void theAdminSetsTheDefaultsAndCeilingsOwnersGet() throws Exception {
        String original = gateway.adminCall("/admin/key-policy", null).body();
        try {
            HttpResponse<String> changed = gateway.adminCall("/admin/key-policy", "{\"defaultRequestsPerMinute\":120,"
                + "\"defaultConcurrentRequests\":8,\"maxRequestsPerMinute\":500,\"maxConcurrentRequests\":10,"
                + "\"maxTokensPerMinute\":100000,\"maxKeysPerAccount\":50}");
            assertEquals(200, changed.statusCode(), changed.body());
            Map<?, ?> key = json(call("POST", "/account/keys", session, "{}"));
            assertEquals(Map.of("requestsPerMinute", 120, "concurrentRequests", 8), withoutNulls((Map<?, ?>) key.get("limits")));
            assertInvalid("{\"requestsPerMinute\":501}", "requestsPerMinute", "requestsPerMinute may be at most 500, was 501.");
            HttpResponse<String> belowDefault = gateway.adminCall("/admin/key-policy", "{\"defaultRequestsPerMinute\":120,"
                + "\"defaultConcurrentRequests\":8,\"maxRequestsPerMinute\":100,\"maxConcurrentRequests\":10,"
                + "\"maxTokensPerMinute\":100000,\"maxKeysPerAccount\":50}");
            assertEquals(400, belowDefault.statusCode(), belowDefault.body());
            assertTrue(belowDefault.body().contains("A ceiling cannot be below its default: requests per minute 120 ≤ 100"),
                belowDefault.body());
            HttpResponse<String> notJson = gateway.adminCall("/admin/key-policy", "{nope");
            assertEquals(400, notJson.statusCode(), notJson.body());
        } finally {
            assertEquals(200, gateway.adminCall("/admin/key-policy", original).statusCode());
        }
    }

    @Test
    void withoutASessionOrForAnotherAccountsKeyNothingIsShownOrChanged() throws Exception {
        HttpResponse<String> noSession = call("GET", "/account/keys", null, null);
        assertRefused(noSession, 401, "session_expired");
        Map<?, ?> mine = json(call("POST", "/account/keys", session, "{\"name\":\"mine\"}"));
        String stranger = TestWallet.create().signIn(gateway);
        assertRefused(call("PATCH", "/account/keys/" + mine.get("id"), stranger, "{\"disabled\":true}"), 404, "not_found");
        assertRefused(call("DELETE", "/account/keys/" + mine.get("id"), stranger, null), 404, "not_found");
        assertEquals(List.of(), json(call("GET", "/account/keys", stranger, null)).get("data"));
        assertEquals(200, consumerCall((String) mine.get("secret")).statusCode());
    }

    private void assertInvalid(String settings, String param, String message) throws Exception {
        HttpResponse<String> refused = call("POST", "/account/keys", session, settings);
        assertRefused(refused, 400, "invalid_request");
        Map<?, ?> error = (Map<?, ?>) json(refused).get("error");
        assertEquals(param, error.get("param"));
        assertEquals(message, error.get("message"));
    }

    private HttpResponse<String> consumerCall(String secret) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/balance"))
            .header("authorization", "Bearer " + secret).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> call(String method, String path, String sessionSecret, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
            .header("content-type", "application/json")
            .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (sessionSecret != null) {
            request.header("cookie", "mercato_session=" + sessionSecret);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<?, ?> withoutNulls(Map<?, ?> map) {
        return map.entrySet().stream().filter(e -> e.getValue() != null)
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static void assertRefused(HttpResponse<String> response, int status, String code) throws IOException {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(code, ((Map<?, ?>) json(response).get("error")).get("code"), response.body());
    }

    private static Map<?, ?> json(HttpResponse<String> response) throws IOException {
        return gateway.bean(JsonMapper.class).readValue(response.body(), Map.class);
    }
}
