package dev.mercato.gateway.relay;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.protocol.NodeFrame;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With every node at its cap, a request waits a bounded time for a slot before all_providers_busy. */
class BusyWaitTest {

    private static final long BUSY_WAIT_MILLIS = 800;
    private static final AtomicInteger MODEL_SEQUENCE = new AtomicInteger();

    private static TestGateway gateway;
    private static TestGateway.NewAccount account;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(Map.of("mercato.relay.busy-wait-millis", BUSY_WAIT_MILLIS,
            "mercato.relay.max-waiting", 1));
        account = gateway.createAccount();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void aWaitingRequestTakesTheSlotThatFrees() throws Exception {
        String model = "busy-" + MODEL_SEQUENCE.incrementAndGet();
        try (FakeNode node = ScriptedNodes.connect(gateway, "acme", model, 1)) {
            CompletableFuture<HttpResponse<String>> first = ScriptedNodes.chat(http, gateway, account.apiKey(), model, "");
            NodeFrame.Request running = node.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
            CompletableFuture<HttpResponse<String>> second = ScriptedNodes.chat(http, gateway, account.apiKey(), model, "");
            assertFalse(node.poll(Duration.ofMillis(300)) instanceof NodeFrame.Request, "the second waits for the slot");
            ScriptedNodes.answer(node, running);
            assertEquals(200, first.get().statusCode());
            ScriptedNodes.answer(node, node.expect(NodeFrame.Request.class, ScriptedNodes.WAIT));
            assertEquals(200, second.get().statusCode(), "served by the slot the first freed");
        }
    }

    @Test
    void theWaitIsBoundedAndSoIsTheNumberOfWaiters() throws Exception {
        String model = "busy-" + MODEL_SEQUENCE.incrementAndGet();
        try (FakeNode node = ScriptedNodes.connect(gateway, "acme", model, 1)) {
            CompletableFuture<HttpResponse<String>> first = ScriptedNodes.chat(http, gateway, account.apiKey(), model, "");
            NodeFrame.Request running = node.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);

            long waitStart = System.nanoTime();
            CompletableFuture<HttpResponse<String>> waiter = ScriptedNodes.chat(http, gateway, account.apiKey(), model, "");
            Thread.sleep(100); // the waiter has joined the queue (max-waiting 1)
            long refusedStart = System.nanoTime();
            HttpResponse<String> overflow = ScriptedNodes.chat(http, gateway, account.apiKey(), model, "").get();
            long refusedMillis = (System.nanoTime() - refusedStart) / 1_000_000;
            assertEquals(503, overflow.statusCode());
            assertEquals("all_providers_busy", ScriptedNodes.error(gateway, overflow).get("code"));
            assertTrue(refusedMillis < BUSY_WAIT_MILLIS / 2, "beyond max-waiting the refusal is at once: " + refusedMillis + " ms");

            HttpResponse<String> waited = waiter.get();
            long waitedMillis = (System.nanoTime() - waitStart) / 1_000_000;
            assertEquals(503, waited.statusCode());
            assertEquals("all_providers_busy", ScriptedNodes.error(gateway, waited).get("code"));
            assertTrue(waitedMillis >= BUSY_WAIT_MILLIS - 50 && waitedMillis < BUSY_WAIT_MILLIS + 2000,
                "waited " + waitedMillis + " ms for a slot");
            assertFalse(node.poll(Duration.ofMillis(200)) instanceof NodeFrame.Request, "neither refusal reached the node");

            ScriptedNodes.answer(node, running);
            assertEquals(200, first.get().statusCode());
            awaitNothingHeld();
        }
    }

    /** The refused requests' holds were released: only settled charges remain on the account. */
    private void awaitNothingHeld() throws Exception {
        long deadline = System.nanoTime() + ScriptedNodes.WAIT.toNanos();
        String held = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> balance = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/balance"))
                .header("authorization", "Bearer " + account.apiKey()).GET().build(), HttpResponse.BodyHandlers.ofString());
            held = (String) gateway.bean(JsonMapper.class).readValue(balance.body(), Map.class).get("held");
            if ("0".equals(held)) {
                return;
            }
            Thread.sleep(20);
        }
        assertEquals("0", held);
    }

}
