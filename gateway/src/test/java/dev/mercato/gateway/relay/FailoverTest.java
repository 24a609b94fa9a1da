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

    private static final Duration QUIET = Duration.ofMillis(300);
    private static final int MAX_ATTEMPTS = 2;
    private static final Duration FIRST_BYTE_TIMEOUT = Duration.ofMillis(700);
    private static final String STREAM = "\"stream\":true,";
    private static final AtomicInteger MODEL_SEQUENCE = new AtomicInteger();
    private static final String CONVERSATION = "\"prompt_cache_key\":\"conv-1\",";

    private static TestGateway gateway;
    private static String apiKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(Map.of("mercato.relay.max-attempts", MAX_ATTEMPTS,
            "mercato.relay.first-byte-timeout-millis", FIRST_BYTE_TIMEOUT.toMillis()));
        apiKey = gateway.createApiKey();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private List<FakeNode> connectNodes(String model, int count) {
        List<FakeNode> connected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            connected.add(ScriptedNodes.connect(gateway, "op" + i, model, 4));
        }
        return connected;
    }

    @Test
    void aModelPrefixedWithAnOperatorIsServedOnlyByThatOperatorAndNeverFailedOverElsewhere() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2); // operators op0 and op1
        FakeNode op1 = pair.get(1);
        for (int i = 0; i < 4; i++) {
            CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, "op1/" + model, "");
            NodeFrame.Request request = op1.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
            assertEquals(model, request.model());
            assertTrue(request.body().contains("\"model\":\"" + model + "\""), "the upstream sees the bare model: "
                + request.body());
            ScriptedNodes.answer(op1, request);
            assertEquals(op1.welcomedAs(), pending.get().headers().firstValue("x-mercato-node").orElseThrow());
        }
        assertFalse(pair.get(0).poll(QUIET) instanceof NodeFrame.Request, "op0 never saw a request pinned to op1");

        CompletableFuture<HttpResponse<String>> failing = ScriptedNodes.chat(http, gateway, apiKey, "op1/" + model, "");
        NodeFrame.Request request = op1.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        op1.send(new NodeFrame.Fail(request.id(), FailKind.UPSTREAM_ERROR, 500, "boom", true, null));
        HttpResponse<String> failed = failing.get();
        assertEquals(502, failed.statusCode());
        assertEquals("upstream_failed", ScriptedNodes.error(gateway, failed).get("code"));
        assertFalse(pair.get(0).poll(QUIET) instanceof NodeFrame.Request, "a pinned request is not failed over");

        HttpResponse<String> nobody = ScriptedNodes.chat(http, gateway, apiKey, "op7/" + model, "").get();
        assertEquals(503, nobody.statusCode());
        assertEquals("No node of operator 'op7' serving model '" + model + "' is online right now; try again in a few "
            + "minutes, or drop the 'op7/' prefix to be served by any operator.", ScriptedNodes.error(gateway, nobody).get("message"));
    }

    @Test
    void aConversationGoesBackToTheNodeThatServedItWhileThatNodeHasASlot() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> opening = ScriptedNodes.chat(http, gateway, apiKey, model, CONVERSATION);
        Received first = receiverOf(pair);
        ScriptedNodes.answer(first.node(), first.lastRequest());
        assertEquals(200, opening.get().statusCode());
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        // Ten more turns: by chance alone, all ten would land on the same node once in 1024 runs.
        for (int turn = 0; turn < 10; turn++) {
            CompletableFuture<HttpResponse<String>> next = ScriptedNodes.chat(http, gateway, apiKey, model, CONVERSATION);
            ScriptedNodes.answer(first.node(), first.node().expect(NodeFrame.Request.class, ScriptedNodes.WAIT));
            assertEquals(first.node().welcomedAs(), next.get().headers().firstValue("x-mercato-node").orElseThrow());
        }
        assertFalse(other.poll(QUIET) instanceof NodeFrame.Request, "the other node saw none of the conversation");
    }

    private record Received(FakeNode node, NodeFrame.Request lastRequest) {
    }

    /** The node of the list that the gateway sent the request to. */
    private static Received receiverOf(List<FakeNode> candidates) throws InterruptedException {
        long deadline = System.nanoTime() + ScriptedNodes.WAIT.toNanos();
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
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        Received first = receiverOf(pair);
        first.node().send(new NodeFrame.Fail(first.lastRequest().id(), FailKind.UPSTREAM_ERROR, 500, "boom", true, null));
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retried = other.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        assertEquals(first.lastRequest().body(), retried.body(), "the same request goes to the other node");
        assertEquals(first.lastRequest().id(), retried.id());
        ScriptedNodes.answer(other, retried);
        HttpResponse<String> response = pending.get();
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(other.welcomedAs(), response.headers().firstValue("x-mercato-node").orElseThrow());
        assertEquals(ScriptedNodes.ANSWER.replace("\"usage\":{", "\"usage\":{\"cost\":\"" + costHeader(response) + "\","),
            response.body());
    }

    @Test
    void aDroppedNodeSocketBeforeTheAnswerFailsOverToo() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        Received first = receiverOf(pair);
        first.node().abort();
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        ScriptedNodes.answer(other, other.expect(NodeFrame.Request.class, ScriptedNodes.WAIT));
        HttpResponse<String> response = pending.get();
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(other.welcomedAs(), response.headers().firstValue("x-mercato-node").orElseThrow());
    }

    @Test
    void aRequestTheUpstreamRefusesAsBadIsNotTriedElsewhere() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        Received first = receiverOf(pair);
        first.node().send(new NodeFrame.Fail(first.lastRequest().id(), FailKind.BAD_REQUEST, 400,
            "prompt is too long: 250000 tokens > 200000 maximum", false, null));
        HttpResponse<String> response = pending.get();
        assertEquals(400, response.statusCode());
        assertEquals("invalid_request", ScriptedNodes.error(gateway, response).get("code"));
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        assertFalse(other.poll(QUIET) instanceof NodeFrame.Request, "the other node never saw it");
    }

    @Test
    void credentialsRejectedEverywhereIsProviderAuthFailedAndOverloadedEverywhereIs529() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);

        CompletableFuture<HttpResponse<String>> auth = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        Received first = receiverOf(pair);
        first.node().send(new NodeFrame.Fail(first.lastRequest().id(), FailKind.AUTH, 401, "invalid x-api-key", false, null));
        FakeNode other = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retried = other.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        other.send(new NodeFrame.Fail(retried.id(), FailKind.AUTH, 401, "invalid x-api-key", false, null));
        HttpResponse<String> authFailed = auth.get();
        assertEquals(502, authFailed.statusCode());
        assertEquals("provider_auth_failed", ScriptedNodes.error(gateway, authFailed).get("code"));
        assertEquals("All 2 provider nodes tried for model '" + model + "' could not authenticate with their upstreams; "
            + "retry shortly.", ScriptedNodes.error(gateway, authFailed).get("message"));

        CompletableFuture<HttpResponse<String>> overloaded = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        Received firstAgain = receiverOf(pair);
        firstAgain.node().send(new NodeFrame.Fail(firstAgain.lastRequest().id(), FailKind.OVERLOADED, 529, "Overloaded",
            true, null));
        FakeNode otherAgain = pair.get(0) == firstAgain.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retriedAgain = otherAgain.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        otherAgain.send(new NodeFrame.Fail(retriedAgain.id(), FailKind.OVERLOADED, 529, "Overloaded", true, null));
        HttpResponse<String> allOverloaded = overloaded.get();
        assertEquals(529, allOverloaded.statusCode());
        assertEquals("upstream_overloaded", ScriptedNodes.error(gateway, allOverloaded).get("code"));
        assertEquals("5", allOverloaded.headers().firstValue("retry-after").orElseThrow());
    }

    @Test
    void triesAtMostMaxAttemptsNodesAndNeverOneTwice() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> three = connectNodes(model, 3);
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
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
        assertEquals("upstream_failed", ScriptedNodes.error(gateway, response).get("code"));
        assertEquals("All 2 provider nodes tried for model '" + model + "' failed before answering; the last said: "
            + "The provider node " + lastFailed.welcomedAs() + " failed to answer: attempt 2 failed",
            ScriptedNodes.error(gateway, response).get("message"));
        for (FakeNode node : three) {
            assertFalse(node.poll(QUIET) instanceof NodeFrame.Request, "no node got the request again, none a third time");
        }
    }

    @Test
    void theOnlyNodeFailingGivesItsOwnErrorWithoutAnotherTry() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        FakeNode only = connectNodes(model, 1).getFirst();
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, "");
        NodeFrame.Request request = only.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        only.send(new NodeFrame.Fail(request.id(), FailKind.AUTH, 401, "invalid x-api-key", false, null));
        HttpResponse<String> response = pending.get();
        assertEquals(502, response.statusCode());
        assertEquals("provider_auth_failed", ScriptedNodes.error(gateway, response).get("code"));
        assertTrue(((String) ScriptedNodes.error(gateway, response).get("message")).startsWith("The provider node " + only.welcomedAs()));
        assertFalse(only.poll(QUIET) instanceof NodeFrame.Request);
    }

    @Test
    void aStreamANodeDoesNotStartInTimeIsCancelledThereAndServedByAnother() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        long sentNanos = System.nanoTime();
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, STREAM);
        Received silent = receiverOf(pair);
        NodeFrame.Cancel cancel = silent.node().expect(NodeFrame.Cancel.class, ScriptedNodes.WAIT);
        long cancelledAfterMillis = (System.nanoTime() - sentNanos) / 1_000_000;
        assertEquals(new NodeFrame.Cancel(silent.lastRequest().id(), "first_byte_timeout"), cancel);
        assertTrue(cancelledAfterMillis >= FIRST_BYTE_TIMEOUT.toMillis() && cancelledAfterMillis < 3_000,
            "cancelled after " + cancelledAfterMillis + " ms");
        FakeNode other = pair.get(0) == silent.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retried = other.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        String event = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"ok\"}}]}\n\n";
        other.send(new NodeFrame.Head(retried.id(), 200, Map.of("content-type", "text/event-stream")));
        other.send(new NodeFrame.Chunk(retried.id(), event + "data: [DONE]\n\n"));
        other.send(new NodeFrame.End(retried.id(), null, 1));
        HttpResponse<String> response = pending.get();
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(other.welcomedAs(), response.headers().firstValue("x-mercato-node").orElseThrow());
        assertEquals(event + "data: [DONE]\n\n", response.body());
        // A head that comes after the cancel is for a request that ended there: it is dropped.
        silent.node().send(new NodeFrame.Head(silent.lastRequest().id(), 200, Map.of()));
        assertFalse(silent.node().poll(QUIET) instanceof NodeFrame.Request, "the silent node is not tried again");
    }

    @Test
    void aStreamNoNodeStartsInTimeIsUpstreamTimeoutAfterTheLastAttempt() throws Exception {
        String model = "failover-" + MODEL_SEQUENCE.incrementAndGet();
        List<FakeNode> pair = connectNodes(model, 2);
        CompletableFuture<HttpResponse<String>> pending = ScriptedNodes.chat(http, gateway, apiKey, model, STREAM);
        Received first = receiverOf(pair);
        FakeNode second = pair.get(0) == first.node() ? pair.get(1) : pair.get(0);
        NodeFrame.Request retried = second.expect(NodeFrame.Request.class, ScriptedNodes.WAIT);
        assertEquals(new NodeFrame.Cancel(retried.id(), "first_byte_timeout"),
            second.expect(NodeFrame.Cancel.class, ScriptedNodes.WAIT));
        HttpResponse<String> response = pending.get();
        assertEquals(504, response.statusCode());
        assertEquals("upstream_timeout", ScriptedNodes.error(gateway, response).get("code"));
        assertEquals("All 2 provider nodes tried for model '" + model + "' ran out of time before answering; the last "
            + "said: The provider node " + second.welcomedAs() + " did not start the stream within 700 ms.",
            ScriptedNodes.error(gateway, response).get("message"));
    }

    private static String costHeader(HttpResponse<String> response) {
        return response.headers().firstValue("x-mercato-cost").orElseThrow();
    }

}
