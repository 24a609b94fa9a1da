package dev.mercato.gateway.relay;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.gateway.node.NodeHealth;
import dev.mercato.gateway.node.NodeHealthRegistry;
import dev.mercato.protocol.NodeFrame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Among equally loaded nodes, one clearly slower to start answering is passed over once it has been measured. */
class NodeChoiceTest {

    private static final String MODEL = "choice-model";
    private static final long SLOW_HEAD_MILLIS = 300;

    private static TestGateway gateway;
    private static String apiKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        // Without stickiness one key's requests to a model are not kept on the node that last served them.
        gateway = TestGateway.start(Map.of("mercato.relay.sticky-seconds", 0));
        apiKey = gateway.createApiKey();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void equallyIdleNodesShareUntilOneIsMeasuredSlowerThenTheQuickOneServes() throws Exception {
        FakeNode quick = ScriptedNodes.connect(gateway, "quick-op", MODEL, 4);
        FakeNode slow = ScriptedNodes.connect(gateway, "slow-op", MODEL, 4);
        NodeHealthRegistry health = gateway.bean(NodeHealthRegistry.class);
        assertNull(health.find(quick.welcomedAs()).snapshot().firstByteMillis(), "not measured before its first answer");

        // Unmeasured nodes share at random, so within a bounded number of requests each has answered.
        int requests = 0;
        while (health.find(slow.welcomedAs()).snapshot().attemptsAnswered() == 0
            || health.find(quick.welcomedAs()).snapshot().attemptsAnswered() == 0) {
            assertTrue(++requests <= 40, "both nodes were chosen within 40 requests");
            serveOne(quick, slow);
        }
        NodeHealth.Snapshot slowHealth = health.find(slow.welcomedAs()).snapshot();
        double quickMillis = health.find(quick.welcomedAs()).snapshot().firstByteMillis();
        assertTrue(slowHealth.firstByteMillis() >= SLOW_HEAD_MILLIS, "slow node measured at " + slowHealth.firstByteMillis());
        assertTrue(slowHealth.firstByteMillis() > quickMillis * 1.25, slowHealth + " against " + quickMillis);
        assertEquals("closed", slowHealth.circuit());
        assertEquals(0, slowHealth.attemptsFailed());

        long slowAnswered = slowHealth.attemptsAnswered();
        for (int i = 0; i < 10; i++) {
            assertEquals(quick.welcomedAs(), serveOne(quick, slow));
        }
        assertEquals(slowAnswered, health.find(slow.welcomedAs()).snapshot().attemptsAnswered());
        assertFalse(slow.poll(Duration.ofMillis(200)) instanceof NodeFrame.Request);
    }

    /** Sends one request; whichever node gets it answers, the slow one after a pause; returns the serving node. */
    private String serveOne(FakeNode quick, FakeNode slow) throws Exception {
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, MODEL, "");
        long deadline = System.nanoTime() + ScriptedNodes.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (FakeNode node : List.of(quick, slow)) {
                if (node.poll(Duration.ofMillis(5)) instanceof NodeFrame.Request request) {
                    if (node == slow) {
                        Thread.sleep(SLOW_HEAD_MILLIS);
                    }
                    ScriptedNodes.answer(node, request);
                    HttpResponse<String> response = pending.get();
                    assertEquals(200, response.statusCode(), response.body());
                    return response.headers().firstValue("x-mercato-node").orElseThrow();
                }
            }
        }
        throw new AssertionError("no node received the request");
    }
}
