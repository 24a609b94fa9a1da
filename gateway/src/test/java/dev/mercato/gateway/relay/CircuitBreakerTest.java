package dev.mercato.gateway.relay;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A node that keeps failing is passed over for a while, then tried again by itself; the consumer's own bad requests do not count. */
class CircuitBreakerTest {

    private static final int WINDOW_CALLS = 4;
    private static final long OPEN_MILLIS = 1000;
    private static final AtomicInteger MODEL_SEQUENCE = new AtomicInteger();

    private static TestGateway gateway;
    private static String apiKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(Map.of("mercato.nodes.circuit.window-calls", WINDOW_CALLS,
            "mercato.nodes.circuit.minimum-calls", WINDOW_CALLS, "mercato.nodes.circuit.failure-rate-percent", 50,
            "mercato.nodes.circuit.open-duration", OPEN_MILLIS + "ms", "mercato.nodes.circuit.half-open-calls", 1));
        apiKey = gateway.createApiKey();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void opensAfterTooManyFailuresThenHalfOpensByItselfAndClosesOnASuccess() throws Exception {
        String model = "circuit-" + MODEL_SEQUENCE.incrementAndGet();
        try (FakeNode node = ScriptedNodes.connect(gateway, "acme", model, 4)) {
            for (int i = 0; i < WINDOW_CALLS; i++) {
                CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
                NodeFrame.Request request = node.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
                node.send(new NodeFrame.Fail(request.id(), FailKind.UPSTREAM_ERROR, 500, "boom", true, null));
                assertEquals(502, pending.get().statusCode());
            }

            HttpResponse<String> paused = ScriptedNodes.chat(http, gateway, apiKey, model, "").get();
            assertEquals(502, paused.statusCode());
            assertEquals("upstream_failed", ScriptedNodes.error(gateway, paused).get("code"));
            assertEquals("Every provider node serving model '" + model + "' has been failing and is paused; retry in 1 "
                + "seconds.", ScriptedNodes.error(gateway, paused).get("message"));
            assertEquals("1", paused.headers().firstValue("retry-after").orElseThrow());
            assertFalse(node.poll(Duration.ofMillis(200)) instanceof NodeFrame.Request, "the open circuit kept it away");

            Thread.sleep(OPEN_MILLIS + 300);
            assertEquals(200, answered(model, node).statusCode(), "half-open: one trial request goes through");
            assertEquals(200, answered(model, node).statusCode(), "closed again after the trial succeeded");
        }
    }

    @Test
    void theConsumersOwnBadRequestsDoNotOpenTheCircuit() throws Exception {
        String model = "circuit-" + MODEL_SEQUENCE.incrementAndGet();
        try (FakeNode node = ScriptedNodes.connect(gateway, "acme", model, 4)) {
            for (int i = 0; i < WINDOW_CALLS * 2; i++) {
                CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
                NodeFrame.Request request = node.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
                node.send(new NodeFrame.Fail(request.id(), FailKind.BAD_REQUEST, 400, "max_tokens too large", false, null));
                assertEquals(400, pending.get().statusCode());
            }
            assertEquals(200, answered(model, node).statusCode());
        }
    }

    private HttpResponse<String> answered(String model, FakeNode node) throws Exception {
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        NodeFrame.Request request = node.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        ScriptedNodes.answer(node, request);
        return pending.get();
    }

}
