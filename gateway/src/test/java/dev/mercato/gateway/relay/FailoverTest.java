package dev.mercato.gateway.relay;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.protocol.FailKind;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node that fails before the consumer has received a byte is replaced by another node, never
 * one already tried, up to the attempt limit; what the consumer finally hears depends on how
 * every node failed.
 */
class FailoverTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final int MAX_ATTEMPTS = 2;
    private static final AtomicInteger MODEL_SEQUENCE = new AtomicInteger();
    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";

    private static TestGateway gateway;
    private static String apiKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(Map.of("mercato.relay.max-attempts", MAX_ATTEMPTS));
        apiKey = gateway.createApiKey();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private List<FakeNode> connectNodes(String model, int count) {
        List<FakeNode> connected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TestGateway.NewNode created = gateway.createNode("op" + i);
            FakeNode node = FakeNode.connect(gateway.nodeUrl(), created.token(),
                List.of(new NodeFrame.ModelOffer(model, Protocol.OPENAI, null)), 4);
            node.welcomedAs(node.expect(NodeFrame.Welcome.class, WAIT).nodeId());
            connected.add(node);
        }
        return connected;
    }

    @Test
    void aModelPrefixedWithAnOperatorIsServedOnlyByThatOperatorAndNeverFailedOverElsewhere() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2); // operators op0 and op1
        FakeNode op1 = pair.get(1);
        for (int i = 0; i < 4; i++) {
            CompletableFuture<HttpResponse<String>> pending = chat("op1/" + model);
            NodeFrame.Request request = op1.expect(NodeFrame.Request.class, WAIT);
            assertEquals(model, request.model());
            assertTrue(request.body().contains("\"model\":\"" + model + "\""), "the upstream sees the bare model: "
                + request.body());
            answer(op1, request);
            assertEquals(op1.welcomedAs(), pending.get().headers().firstValue("x-mercato-node").orElseThrow());
        }
        assertFalse(pair.get(0).poll(QUIET) instanceof NodeFrame.Request, "op0 never saw a request pinned to op1");

        CompletableFuture<HttpResponse<String>> failing = chat("op1/" + model);
        NodeFrame.Request request = op1.expect(NodeFrame.Request.class, WAIT);
        op1.send(new NodeFrame.Fail(request.id(), FailKind.UPSTREAM_ERROR, 500, "boom", true, null));
        HttpResponse<String> failed = failing.get();
        assertEquals(502, failed.statusCode());
        assertEquals("upstream_failed", error(failed).get("code"));
        assertFalse(pair.get(0).poll(QUIET) instanceof NodeFrame.Request, "a pinned request is not failed over");

        HttpResponse<String> nobody = chat("op7/" + model).get();
        assertEquals(503, nobody.statusCode());
        assertEquals("No node of operator 'op7' serving model '" + model + "' is online right now; try again in a few "
            + "minutes, or drop the 'op7/' prefix to be served by any operator.", error(nobody).get("message"));
    }

    @Test
    void aConversationGoesBackToTheNodeThatServedItWhileThatNodeHasASlot() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> opening = chat(model, "conv-1");
        Received first = receiverOf(pair);
        answer(first.node(), first.lastRequest());
        assertEquals(200, opening.get().statusCode());
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        // Ten more turns: by chance alone, all ten would land on the same node once in 1024 runs.
        for (int turn = 0; turn < 10; turn++) {
            CompletableFuture<HttpResponse<String>> next = chat(model, "conv-1");
            answer(first.node(), first.node().expect(NodeFrame.Request.class, WAIT));
            assertEquals(first.node().welcomedAs(), next.get().headers().firstValue("x-mercato-node").orElseThrow());
        }
        assertFalse(other.poll(QUIET) instanceof NodeFrame.Request, "the other node saw none of the conversation");
    }

    private CompletableFuture<HttpResponse<String>> chat(String model, String conversation) {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":5,\"prompt_cache_key\":\"" + conversation + "\","
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + apiKey).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> chat(String model) {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
            .header("authorization", "Bearer " + apiKey).header("content-type", "application/json")
            .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private record Received(FakeNode node, NodeFrame.Request lastRequest) {
    }

    /** The node of the list that the gateway sent the request to. */
    private static Received receiverOf(List<FakeNode> candidates) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (FakeNode node : candidates) {
                NodeFrame frame = node.poll(Duration.ofMillis(10));
                if (frame instanceof NodeFrame.Request request) {
                    return new Received(node, request);
                }
            }
        }
        throw new AssertionError("no node received the request");
    }

    @Test
    void aNodeThatFailsBeforeAnsweringIsReplacedByAnotherWhichAnswers() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> pending = chat(model);
        Received first = receiverOf(pair);
        first.node().send(new NodeFrame.Fail(first.lastRequest().id(), FailKind.UPSTREAM_ERROR, 500, "boom", true, null));
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retried = other.expect(NodeFrame.Request.class, WAIT);
        assertEquals(first.lastRequest().body(), retried.body(), "the same request goes to the other node");
        assertEquals(first.lastRequest().id(), retried.id());
        answer(other, retried);
        HttpResponse<String> response = pending.get();
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(other.welcomedAs(), response.headers().firstValue("x-mercato-node").orElseThrow());
        assertEquals(ANSWER.replace("\"usage\":{", "\"usage\":{\"cost\":\"" + costHeader(response) + "\","),
            response.body());
    }

    @Test
    void aDroppedNodeSocketBeforeTheAnswerFailsOverToo() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> pending = chat(model);
        Received first = receiverOf(pair);
        first.node().abort();
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        answer(other, other.expect(NodeFrame.Request.class, WAIT));
        HttpResponse<String> response = pending.get();
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(other.welcomedAs(), response.headers().firstValue("x-mercato-node").orElseThrow());
    }

    @Test
    void aRequestTheUpstreamRefusesAsBadIsNotTriedElsewhere() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> pending = chat(model);
        Received first = receiverOf(pair);
        first.node().send(new NodeFrame.Fail(first.lastRequest().id(), FailKind.BAD_REQUEST, 400,
            "prompt is too long: 250000 tokens > 200000 maximum", false, null));
        HttpResponse<String> response = pending.get();
        assertEquals(400, response.statusCode());
        assertEquals("invalid_request", error(response).get("code"));
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        assertFalse(other.poll(QUIET) instanceof NodeFrame.Request, "the other node never saw it");
    }

    @Test
    void credentialsRejectedEverywhereIsProviderAuthFailedAndOverloadedEverywhereIs529() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);

        CompletableFuture<HttpResponse<String>> auth = chat(model);
        Received first = receiverOf(pair);
        first.node().send(new NodeFrame.Fail(first.lastRequest().id(), FailKind.AUTH, 401, "invalid x-api-key", false, null));
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retried = other.expect(NodeFrame.Request.class, WAIT);
        other.send(new NodeFrame.Fail(retried.id(), FailKind.AUTH, 401, "invalid x-api-key", false, null));
        HttpResponse<String> authFailed = auth.get();
        assertEquals(502, authFailed.statusCode());
        assertEquals("provider_auth_failed", error(authFailed).get("code"));
        assertEquals("All 2 provider nodes tried for model '" + model + "' could not authenticate with their upstreams; "
            + "retry shortly.", error(authFailed).get("message"));

        CompletableFuture<HttpResponse<String>> overloaded = chat(model);
        Received firstAgain = receiverOf(pair);
        firstAgain.node().send(new NodeFrame.Fail(firstAgain.lastRequest().id(), FailKind.OVERLOADED, 529, "Overloaded",
            true, null));
        FakeNode otherAgain = pair.get(0) == firstAgain.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retriedAgain = otherAgain.expect(NodeFrame.Request.class, WAIT);
        otherAgain.send(new NodeFrame.Fail(retriedAgain.id(), FailKind.OVERLOADED, 529, "Overloaded", true, null));
        HttpResponse<String> allOverloaded = overloaded.get();
        assertEquals(529, allOverloaded.statusCode());
        assertEquals("upstream_overloaded", error(allOverloaded).get("code"));
        assertEquals("5", allOverloaded.headers().firstValue("retry-after").orElseThrow());
    }

    @Test
    void triesAtMostMaxAttemptsNodesAndNeverOneTwice() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> three = connectNodes(model, 3);
        CompletableFuture<HttpResponse<String>> pending = chat(model);
        List<FakeNode> waiting = new ArrayList<>(three);
        FakeNode lastFailed = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Received received = receiverOf(waiting);
            waiting.remove(received.node());
            lastFailed = received.node();
            received.node().send(new NodeFrame.Fail(received.lastRequest().id(), FailKind.UPSTREAM_ERROR, 500,
                "attempt " + attempt + " failed", true, null));
        }
        HttpResponse<String> response = pending.get();
        assertEquals(502, response.statusCode());
        assertEquals("upstream_failed", error(response).get("code"));
        assertEquals("All 2 provider nodes tried for model '" + model + "' failed before answering; the last said: "
            + "The provider node " + lastFailed.welcomedAs() + " failed to answer: attempt 2 failed",
            error(response).get("message"));
        for (FakeNode node : three) {
            assertFalse(node.poll(QUIET) instanceof NodeFrame.Request, "no node got the request again, none a third time");
        }
    }

    @Test
    void theOnlyNodeFailingGivesItsOwnErrorWithoutAnotherTry() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        FakeNode only = connectNodes(model, 1).getFirst();
        CompletableFuture<HttpResponse<String>> pending = chat(model);
        NodeFrame.Request request = only.expect(NodeFrame.Request.class, WAIT);
        only.send(new NodeFrame.Fail(request.id(), FailKind.AUTH, 401, "invalid x-api-key", false, null));
        HttpResponse<String> response = pending.get();
        assertEquals(502, response.statusCode());
        assertEquals("provider_auth_failed", error(response).get("code"));
        assertTrue(((String) error(response).get("message")).startsWith("The provider node " + only.welcomedAs()));
        assertFalse(only.poll(QUIET) instanceof NodeFrame.Request);
    }

    private static void answer(FakeNode node, NodeFrame.Request request) {
        node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "application/json")));
        node.send(new NodeFrame.Chunk(request.id(), ANSWER));
        node.send(new NodeFrame.End(request.id(), null, 1));
    }

    private static String costHeader(HttpResponse<String> response) {
        return response.headers().firstValue("x-mercato-cost").orElseThrow();
    }

    private static Map<?, ?> error(HttpResponse<String> response) throws IOException {
        return (Map<?, ?>) gateway.bean(JsonMapper.class).readValue(response.body(), Map.class).get("error");
    }
}
