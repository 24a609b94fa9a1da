package dev.mercato.gateway.operator;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.billing.ModelPrice;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.gateway.billing.Pricing;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.gateway.signin.TestWallet;
import dev.mercato.ledger.Usdc;
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
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An operator registers nodes from its wallet session and sees each one's state, load, health, usage and its earnings. */
class OperatorViewTest {

    private static final String MODEL = "operator-view-model";
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";

    private static TestGateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void anOperatorRegistersANodeAndSeesItServeAndEarn() throws Exception {
        String owner = TestWallet.create().signIn(gateway);
        String stranger = TestWallet.create().signIn(gateway);

        HttpResponse<String> unsigned = call("GET", "/operator/nodes", null, null);
        assertEquals(401, unsigned.statusCode(), unsigned.body());

        HttpResponse<String> created = call("POST", "/operator/nodes", owner, "{\"operator\":\"owl\",\"name\":\"n1\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("owl/n1", json(created).get("nodeId"));
        String token = (String) json(created).get("nodeToken");
        HttpResponse<String> idle = call("POST", "/operator/nodes", owner, "{\"operator\":\"owl\",\"name\":\"n2\"}");
        assertEquals(201, idle.statusCode(), idle.body());

        HttpResponse<String> taken = call("POST", "/operator/nodes", stranger, "{\"operator\":\"owl\",\"name\":\"n3\"}");
        assertEquals(400, taken.statusCode(), taken.body());
        Map<?, ?> error = (Map<?, ?>) json(taken).get("error");
        assertEquals("The operator name 'owl' is taken by another account; choose another.", error.get("message"));
        assertEquals("operator", error.get("param"));
        HttpResponse<String> twice = call("POST", "/operator/nodes", owner, "{\"operator\":\"owl\",\"name\":\"n1\"}");
        assertEquals("Operator 'owl' already has a node named 'n1'.", ((Map<?, ?>) json(twice).get("error")).get("message"));

        FakeNode node = FakeNode.connect(gateway.nodeUrl(), token, List.of(new NodeFrame.ModelOffer(MODEL, Protocol.OPENAI,
            null)), 4);
        node.welcomedAs(node.expect(NodeFrame.Welcome.class, WAIT).nodeId());
        String apiKey = gateway.createApiKey();
        long billedNano = 0;
        for (int i = 0; i < 2; i++) {
            var pending = http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + apiKey).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL + "\",\"max_tokens\":5,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "application/json")));
            node.send(new NodeFrame.Chunk(request.id(), ANSWER));
            node.send(new NodeFrame.End(request.id(), null, 1));
            HttpResponse<String> answered = pending.get();
            assertEquals(200, answered.statusCode(), answered.body());
            billedNano += Usdc.parse(answered.headers().firstValue("x-mercato-cost").orElseThrow());
        }
        ModelPrice price = gateway.bean(PriceBook.class).current(MODEL);
        long shareNano = 2 * Pricing.providerShareNano(billedNano / 2, price.providerShareBps());

        // Usage records and settles are written in batches just after the answers: wait for both.
        Map<?, ?> operator = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<?> operators = (List<?>) json(call("GET", "/operator/nodes", owner, null)).get("operators");
            operator = (Map<?, ?>) operators.getFirst();
            Map<?, ?> served = (Map<?, ?>) ((Map<?, ?>) ((List<?>) operator.get("nodes")).getFirst()).get("last24h");
            if (((Number) served.get("requests")).intValue() == 2
                && Usdc.format(shareNano).equals(((Map<?, ?>) operator.get("earnings")).get("earnedUsdc"))) {
                break;
            }
            Thread.sleep(25);
        }
        assertNotNull(operator);
        assertEquals("owl", operator.get("name"));
        assertEquals(Map.of("earnedUsdc", Usdc.format(shareNano), "availableUsdc", Usdc.format(shareNano)),
            operator.get("earnings"));
        List<?> nodes = (List<?>) operator.get("nodes");
        assertEquals(2, nodes.size());

        Map<?, ?> serving = (Map<?, ?>) nodes.get(0);
        assertEquals("owl/n1", serving.get("name"));
        assertEquals(true, serving.get("connected"));
        assertEquals("online", serving.get("state"));
        assertEquals(0, serving.get("inFlight"));
        assertEquals(4, serving.get("maxConcurrency"));
        assertEquals(List.of(MODEL), serving.get("models"));
        assertEquals(Map.of("timeZone", "UTC", "start", "2026-01-01T00:00", "onlineMinutes", 1440, "restMinutes", 0),
            serving.get("schedule"));
        assertNull(serving.get("nextChangeAt"), "an always-online schedule never changes");
        Map<?, ?> health = (Map<?, ?>) serving.get("health");
        assertEquals("closed", health.get("circuit"));
        assertEquals(2, health.get("attemptsAnswered"));
        assertEquals(0, health.get("attemptsFailed"));
        assertTrue(health.containsKey("errorRatePercent") && health.get("errorRatePercent") == null,
            "two calls are fewer than the circuit's minimum");
        assertTrue(((Number) health.get("firstByteMillis")).doubleValue() > 0, health.toString());
        assertTrue(((Number) health.get("latencyMillis")).doubleValue() >= ((Number) health.get("firstByteMillis"))
            .doubleValue(), health.toString());
        assertEquals(Map.of("requests", 2, "billedUsdc", Usdc.format(billedNano)), serving.get("last24h"));
        assertNotNull(serving.get("lastSeenAt"));

        Map<?, ?> offline = (Map<?, ?>) nodes.get(1);
        assertEquals("owl/n2", offline.get("name"));
        assertEquals(false, offline.get("connected"));
        assertEquals("offline", offline.get("state"));
        assertTrue(offline.containsKey("health") && offline.get("health") == null, "never connected to this gateway");
        assertEquals(Map.of("requests", 0, "billedUsdc", "0"), offline.get("last24h"));
        assertNull(offline.get("lastSeenAt"));

        assertEquals(List.of(), json(call("GET", "/operator/nodes", stranger, null)).get("operators"));
    }

    private HttpResponse<String> call(String method, String path, String session, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
            .header("content-type", "application/json")
            .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (session != null) {
            request.header("cookie", "mercato_session=" + session);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<?, ?> json(HttpResponse<String> response) throws IOException {
        return gateway.bean(JsonMapper.class).readValue(response.body(), Map.class);
    }
}
