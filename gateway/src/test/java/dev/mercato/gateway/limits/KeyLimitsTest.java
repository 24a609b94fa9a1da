package dev.mercato.gateway.limits;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every per-key limit on the request path of a real gateway, with a scripted node: the order
 * in which they refuse, each refusal's code, status, message and retry hint in both protocols,
 * and the rate-limit headers.
 */
class KeyLimitsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String GPT = "limits-gpt";
    private static final String CLAUDE = "limits-claude";
    private static final String CHAT = "{\"model\":\"" + GPT + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5,\"total_tokens\":12}}";

    private static TestGateway gateway;
    private static FakeNode gptNode;
    private static FakeNode claudeNode;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
        gptNode = connect(GPT, Protocol.OPENAI);
        claudeNode = connect(CLAUDE, Protocol.ANTHROPIC);
    }

    @AfterAll
    static void stop() {
        gptNode.close();
        claudeNode.close();
        gateway.close();
    }

    private static FakeNode connect(String model, Protocol protocol) {
        TestGateway.NewNode created = gateway.createNode("acme");
        FakeNode node = FakeNode.connect(gateway.nodeUrl(), created.token(),
            List.of(new NodeFrame.ModelOffer(model, protocol, null)), 64);
        node.welcomedAs(node.expect(NodeFrame.Welcome.class, WAIT).nodeId());
        return node;
    }

    @Test
    void refusesInAdmissionOrderEachWithItsOwnError() throws Exception {
        // Each key breaks two limits; the earlier one in admission order is the one reported.
        String past = Instant.now().plusSeconds(1).toString();
        String disabledAndExpiring = gateway.createAccount("{\"disabled\":true,\"expiresAt\":\"" + past + "\"}").apiKey();
        String expiringWrongIp = gateway.createAccount("{\"expiresAt\":\"" + past + "\",\"allowedIps\":[\"10.0.0.1\"]}").apiKey();
        String wrongIpWrongModel = gateway.createAccount("{\"allowedIps\":[\"10.0.0.0/8\",\"2001:db8::/32\"],"
            + "\"allowedModels\":[\"other-model\"]}").apiKey();
        String wrongModelNoBudget = gateway.createAccount("{\"allowedModels\":[\"other-model\"],"
            + "\"budget\":{\"amountUsdc\":\"0.000000001\",\"period\":\"day\"}}").apiKey();
        String noBudgetOneRpm = gateway.createAccount("{\"budget\":{\"amountUsdc\":\"0.000000001\",\"period\":\"month\"},"
            + "\"requestsPerMinute\":1}").apiKey();
        Thread.sleep(1100); // the two keys with an expiry have now expired

        assertRefused(chat(disabledAndExpiring), 401, "api_key_disabled", null);
        HttpResponse<String> expired = chat(expiringWrongIp);
        assertRefused(expired, 401, "api_key_expired", null);
        assertTrue(message(expired).contains(") expired at " + past.substring(0, 19)), message(expired));
        HttpResponse<String> wrongIp = chat(wrongIpWrongModel);
        assertRefused(wrongIp, 403, "ip_not_allowed", null);
        assertTrue(message(wrongIp).endsWith(") may not be used from 127.0.0.1; add the address to the key's IP allowlist."),
            message(wrongIp));
        HttpResponse<String> wrongModel = chat(wrongModelNoBudget);
        assertRefused(wrongModel, 403, "model_not_allowed", null);
        assertTrue(message(wrongModel).endsWith(") may not call the model '" + GPT + "'; it may call: other-model."),
            message(wrongModel));
        HttpResponse<String> budget = chat(noBudgetOneRpm);
        assertRefused(budget, 402, "key_budget_exceeded", null);
        assertTrue(message(budget).startsWith("API key budget ($0.000000001/month) exceeded: $0.00 of it is spent or "
            + "held by running requests, and this request could cost up to $"), message(budget));
        // The budget refused first, so nothing was counted against its one request a minute.
        assertEquals(1, gateway.bean(Limiter.class).peekRequests(Admission.subject(keyOf(noBudgetOneRpm)), 1).remaining());
        assertFalse(gptNode.poll(Duration.ofMillis(300)) instanceof NodeFrame.Request, "no refused request reached the node");
    }

    @Test
    void theRequestsPerMinuteLimitRefusesTheNextOneWithItsHeadersAndWhenToRetry() throws Exception {
        String key = gateway.createAccount("{\"requestsPerMinute\":3}").apiKey();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = answered(key);
            assertEquals(200, ok.statusCode());
            assertEquals("3", ok.headers().firstValue("x-ratelimit-limit-requests").orElseThrow());
            assertEquals(String.valueOf(2 - i), ok.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
            assertEquals("1m0s", ok.headers().firstValue("x-ratelimit-reset-requests").orElseThrow());
        }
        HttpResponse<String> limited = chat(key);
        assertRefused(limited, 429, "rpm_limit_exceeded", "rate_limit_error");
        int retryAfter = Integer.parseInt(limited.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 59 && retryAfter <= 60, "retry-after " + retryAfter);
        assertEquals("Requests per minute limit (3) exceeded; retry in " + retryAfter + " s.", message(limited));
        assertEquals("0", limited.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
        assertEquals("true", limited.headers().firstValue("x-should-retry").orElseThrow());
    }

    @Test
    void anthropicRoutesGetTheirOwnHeadersAndErrorShape() throws Exception {
        String key = gateway.createAccount("{\"requestsPerMinute\":1}").apiKey();
        String body = "{\"model\":\"" + CLAUDE + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(anthropic(key, body), HttpResponse.BodyHandlers.ofString());
        NodeFrame.Request request = claudeNode.expect(NodeFrame.Request.class, WAIT);
        claudeNode.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "application/json")));
        claudeNode.send(new NodeFrame.Chunk(request.id(), "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}"));
        claudeNode.send(new NodeFrame.End(request.id(), null, 1));
        HttpResponse<String> ok = pending.get();
        assertEquals(200, ok.statusCode());
        assertEquals("1", ok.headers().firstValue("anthropic-ratelimit-requests-limit").orElseThrow());
        assertEquals("0", ok.headers().firstValue("anthropic-ratelimit-requests-remaining").orElseThrow());
        Instant reset = Instant.parse(ok.headers().firstValue("anthropic-ratelimit-requests-reset").orElseThrow());
        long inSeconds = Duration.between(Instant.now(), reset).toSeconds();
        assertTrue(inSeconds >= 58 && inSeconds <= 60, "reset in " + inSeconds + " s");

        HttpResponse<String> limited = http.send(anthropic(key, body), HttpResponse.BodyHandlers.ofString());
        assertEquals(429, limited.statusCode());
        Map<?, ?> error = (Map<?, ?>) json(limited).get("error");
        assertEquals("rate_limit_error", error.get("type"));
        assertEquals("rpm_limit_exceeded", error.get("mercato_code"));
        assertTrue(((String) error.get("message")).startsWith("Requests per minute limit (1) exceeded; retry in "));
        assertEquals("0", limited.headers().firstValue("anthropic-ratelimit-requests-remaining").orElseThrow());
    }

    @Test
    void theConcurrencyLimitCountsRunningRequestsAndFreesTheSlotWhenOneEnds() throws Exception {
        String key = gateway.createAccount("{\"concurrentRequests\":1}").apiKey();
        CompletableFuture<HttpResponse<String>> running = http.sendAsync(post("/v1/chat/completions", key, CHAT),
            HttpResponse.BodyHandlers.ofString());
        NodeFrame.Request request = gptNode.expect(NodeFrame.Request.class, WAIT);

        HttpResponse<String> second = chat(key);
        assertRefused(second, 429, "concurrency_limit_exceeded", "rate_limit_error");
        assertEquals("1", second.headers().firstValue("retry-after").orElseThrow());
        assertEquals("Concurrent requests limit (1) exceeded; retry when one of this key's requests has finished.",
            message(second));

        answer(gptNode, request);
        assertEquals(200, running.get().statusCode());
        assertEquals(200, answered(key).statusCode(), "the slot was given back");
        assertEquals(0, gateway.bean(Limiter.class).usage(Admission.subject(keyOf(key))).slotsHeld());
    }

    @Test
    void theTokensPerMinuteLimitCountsWhatAnswersUsed() throws Exception {
        String key = gateway.createAccount("{\"tokensPerMinute\":20}").apiKey();
        HttpResponse<String> first = answered(key); // uses 12 tokens
        assertEquals("20", first.headers().firstValue("x-ratelimit-limit-tokens").orElseThrow());
        assertEquals(200, answered(key).statusCode()); // 12 < 20 when it starts; uses 12 more
        HttpResponse<String> third = chat(key);
        assertRefused(third, 429, "tpm_limit_exceeded", "rate_limit_error");
        assertTrue(message(third).startsWith("Tokens per minute limit (20) exceeded; retry in "), message(third));
        assertEquals("0", third.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
    }

    @Test
    void listsOnlyTheModelsAKeyMayCallAndShowsTheKeysLimitsAndUse() throws Exception {
        String key = gateway.createAccount("{\"name\":\"ci\",\"allowedModels\":[\"" + CLAUDE + "\"],"
            + "\"requestsPerMinute\":50,\"budget\":{\"amountUsdc\":\"2.5\",\"period\":\"week\"}}").apiKey();
        HttpResponse<String> models = http.send(get("/v1/models", key), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, models.statusCode());
        List<?> data = (List<?>) json(models).get("data");
        assertEquals(List.of(CLAUDE), data.stream().map(m -> ((Map<?, ?>) m).get("id")).toList());
        HttpResponse<String> hidden = http.send(get("/v1/models/" + GPT, key), HttpResponse.BodyHandlers.ofString());
        assertRefused(hidden, 404, "not_found", null);

        HttpResponse<String> info = http.send(get("/v1/key", key), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, info.statusCode());
        Map<?, ?> body = json(info);
        Map<?, ?> view = (Map<?, ?>) body.get("key");
        assertEquals("ci", view.get("name"));
        assertEquals(key.substring(0, 8), view.get("prefix"));
        assertEquals(key.substring(key.length() - 4), view.get("lastFour"));
        Map<?, ?> limits = (Map<?, ?>) view.get("limits");
        assertEquals(50, ((Number) limits.get("requestsPerMinute")).intValue());
        assertEquals(5, ((Number) limits.get("concurrentRequests")).intValue(), "the platform default");
        assertEquals(List.of(CLAUDE), limits.get("allowedModels"));
        assertEquals(Map.of("amountUsdc", "2.5", "period", "week"), limits.get("budget"));
        Map<?, ?> usage = (Map<?, ?>) body.get("usage");
        assertEquals(3, ((Number) usage.get("requestsLastMinute")).intValue(), "two model calls and this one");
        assertEquals(0, ((Number) usage.get("concurrentRequests")).intValue());
        Map<?, ?> budget = (Map<?, ?>) body.get("budget");
        assertEquals("2.5", budget.get("remainingUsdc"));
        assertEquals("0", budget.get("spentUsdc"));
        assertEquals("47", info.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
    }

    @Test
    void anUnknownKeyGetsNoRateLimitHeaders() throws Exception {
        HttpResponse<String> refused = chat("msk_" + "A".repeat(43));
        assertRefused(refused, 401, "invalid_api_key", null);
        assertTrue(refused.headers().firstValue("x-ratelimit-limit-requests").isEmpty());
    }

    private static dev.mercato.gateway.keys.ApiKey keyOf(String secret) {
        return gateway.bean(dev.mercato.gateway.keys.KeyStore.class)
            .findByHash(dev.mercato.gateway.auth.Secrets.hash(secret)).orElseThrow();
    }

    private HttpResponse<String> answered(String key) throws Exception {
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/chat/completions", key, CHAT),
            HttpResponse.BodyHandlers.ofString());
        answer(gptNode, gptNode.expect(NodeFrame.Request.class, WAIT));
        return pending.get();
    }

    private static void answer(FakeNode node, NodeFrame.Request request) {
        node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "application/json")));
        node.send(new NodeFrame.Chunk(request.id(), ANSWER));
        node.send(new NodeFrame.End(request.id(), null, 1));
    }

    private HttpResponse<String> chat(String key) throws Exception {
        return http.send(post("/v1/chat/completions", key, CHAT), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest post(String path, String key, String body) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path)).header("authorization", "Bearer " + key)
            .header("content-type", "application/json").timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpRequest anthropic(String key, String body) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/messages")).header("x-api-key", key)
            .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
            .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpRequest get(String path, String key) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path)).header("authorization", "Bearer " + key)
            .timeout(Duration.ofSeconds(20)).GET().build();
    }

    private static void assertRefused(HttpResponse<String> response, int status, String code, String openAiType)
        throws IOException {
        assertEquals(status, response.statusCode(), response.body());
        Map<?, ?> error = (Map<?, ?>) json(response).get("error");
        assertEquals(code, error.get("code"), response.body());
        if (openAiType != null) {
            assertEquals(openAiType, error.get("type"));
        }
    }

    private static String message(HttpResponse<String> response) throws IOException {
        return (String) ((Map<?, ?>) json(response).get("error")).get("message");
    }

    private static Map<?, ?> json(HttpResponse<String> response) throws IOException {
        return gateway.bean(JsonMapper.class).readValue(response.body(), Map.class);
    }
}
