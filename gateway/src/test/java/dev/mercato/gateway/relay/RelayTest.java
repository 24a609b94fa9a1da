package dev.mercato.gateway.relay;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway's side of the node protocol, driven by a scripted node over a real WebSocket. */
class RelayTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int BUFFER_LIMIT_BYTES = 256 * 1024;
    private static final AtomicInteger MODEL_SEQUENCE = new AtomicInteger();

    private static TestGateway gateway;
    private static String apiKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startGateway() {
        // No wait for a free slot here: these tests see all_providers_busy at once (BusyWaitTest covers the wait).
        gateway = TestGateway.start(Map.of("mercato.relay.deadline-millis", 3000,
            "mercato.relay.max-buffered-bytes", BUFFER_LIMIT_BYTES, "mercato.relay.busy-wait-millis", 0));
        apiKey = gateway.createApiKey();
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
    }

    private static String newModel() {
        return "model-" + MODEL_SEQUENCE.incrementAndGet();
    }

    private FakeNode connectNode(String model, Protocol protocol, int maxConcurrency) {
        return connectNode(model, protocol, maxConcurrency, Schedule.ALWAYS_ONLINE);
    }

    private FakeNode connectNode(String model, Protocol protocol, int maxConcurrency, Schedule schedule) {
        TestGateway.NewNode created = gateway.createNode("acme");
        FakeNode node = FakeNode.connect(gateway.nodeUrl(), created.token(),
            List.of(new NodeFrame.ModelOffer(model, protocol, null)), maxConcurrency, schedule);
        NodeFrame.Welcome welcome = node.expect(NodeFrame.Welcome.class, WAIT);
        assertEquals(created.displayName(), welcome.nodeId());
        node.welcomedAs(welcome.nodeId());
        return node;
    }

    private HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
            .header("x-api-key", apiKey)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    @Test
    void refusesAHelloWithAnUnknownToken() {
        FakeNode node = FakeNode.connect(gateway.nodeUrl(), "mnode_" + "A".repeat(43),
            List.of(new NodeFrame.ModelOffer("m", Protocol.OPENAI, null)), 1);
        NodeFrame.Reject reject = node.expect(NodeFrame.Reject.class, WAIT);
        assertEquals("invalid_node_token", reject.code());
        assertTrue(node.awaitClosed(WAIT));
    }

    @Test
    void relaysAStreamEventByEventExactlyAsTheNodeSentIt() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.ANTHROPIC, 4)) {
            String body = "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"héllo\"}],\"x_unknown\":[1,2]}";
            CompletableFuture<HttpResponse<InputStream>> pending = http.sendAsync(post("/v1/messages", body).build(),
                HttpResponse.BodyHandlers.ofInputStream());

            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            assertEquals("/v1/messages", request.path());
            assertEquals(model, request.model());
            assertEquals(body, request.body());
            assertEquals(Map.of("anthropic-version", "2023-06-01"), request.headers());

            String first = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":7,\"output_tokens\":1}}}\n\n";
            String second = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
                + "{\"type\":\"text_delta\",\"text\":\"ünïcode\"}}\n\n";
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "text/event-stream")));
            node.send(new NodeFrame.Chunk(request.id(), first));
            HttpResponse<InputStream> response = pending.get();
            assertEquals(200, response.statusCode());
            assertEquals(node.welcomedAs(), response.headers().firstValue("x-mercato-node").orElseThrow());
            assertTrue(response.headers().firstValue("request-id").orElseThrow().startsWith("req_"));
            assertEquals(response.headers().firstValue("request-id"), response.headers().firstValue("x-request-id"));
            InputStream stream = response.body();
            // The first event reaches the consumer before the node has sent anything else.
            assertEquals(first, readExactly(stream, first.getBytes(StandardCharsets.UTF_8).length));

            // An event split across chunks is delivered whole.
            int cut = 30;
            node.send(new NodeFrame.Chunk(request.id(), second.substring(0, cut)));
            node.send(new NodeFrame.Chunk(request.id(), second.substring(cut)));
            assertEquals(second, readExactly(stream, second.getBytes(StandardCharsets.UTF_8).length));
            node.send(new NodeFrame.End(request.id(), null, 5));
            assertEquals(-1, stream.read());
        }
    }

    @Test
    void asksForUsageAndRemovesTheUsageChunkTheConsumerDidNotAskFor() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4)) {
            String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofString());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            assertEquals("{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"stream_options\":{\"include_usage\":true}}", request.body());

            String delta = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
            String usage = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
                + "\"completion_tokens\":1,\"total_tokens\":10}}\n\n";
            String done = "data: [DONE]\n\n";
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "text/event-stream")));
            node.send(new NodeFrame.Chunk(request.id(), delta + usage + done));
            node.send(new NodeFrame.End(request.id(), null, 1));
            assertEquals(delta + done, pending.get().body());
        }
    }

    @Test
    void keepsTheUsageChunkWhenTheConsumerAskedForIt() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4)) {
            String body = "{\"model\":\"" + model + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofString());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            assertEquals(body, request.body());
            String usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n";
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "text/event-stream")));
            node.send(new NodeFrame.Chunk(request.id(), usage));
            node.send(new NodeFrame.End(request.id(), null, 1));
            // 9 input tokens at $3 and 1 output token at $15 per million (the default price): 42,000 nano.
            assertEquals("data: {\"choices\":[],\"usage\":{\"cost\":\"0.000042\",\"prompt_tokens\":9,\"completion_tokens\":1}}"
                + "\n\ndata: [DONE]\n\n", pending.get().body());
        }
    }

    @Test
    void gathersANonStreamingAnswerAndSendsItWithItsLength() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4)) {
            String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofString());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            String answer = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}";
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "application/json")));
            node.send(new NodeFrame.Chunk(request.id(), answer.substring(0, 20)));
            node.send(new NodeFrame.Chunk(request.id(), answer.substring(20)));
            node.send(new NodeFrame.End(request.id(), null, 1));
            HttpResponse<String> response = pending.get();
            assertEquals(200, response.statusCode());
            assertEquals(answer, response.body());
            assertEquals(String.valueOf(answer.length()), response.headers().firstValue("content-length").orElseThrow());
        }
    }

    @Test
    void turnsANodeDroppedMidStreamIntoTheProtocolsErrorEvent() throws Exception {
        String model = newModel();
        FakeNode node = connectNode(model, Protocol.ANTHROPIC, 4);
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/messages", body).build(),
            HttpResponse.BodyHandlers.ofString());
        NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
        String first = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
        node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "text/event-stream")));
        node.send(new NodeFrame.Chunk(request.id(), first));
        node.abort();
        HttpResponse<String> response = pending.get();
        String requestId = response.headers().firstValue("request-id").orElseThrow();
        assertEquals(first + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
            + "\"The provider node " + response.headers().firstValue("x-mercato-node").orElseThrow()
            + " failed to answer: the connection to node " + response.headers().firstValue("x-mercato-node").orElseThrow()
            + " dropped\",\"mercato_code\":\"upstream_failed\"},\"request_id\":\"" + requestId + "\"}\n\n", response.body());
    }

    @Test
    void tellsTheNodeToCancelWhenTheConsumerDisconnects() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4)) {
            String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            CompletableFuture<HttpResponse<InputStream>> pending = http.sendAsync(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofInputStream());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            String delta = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "text/event-stream")));
            node.send(new NodeFrame.Chunk(request.id(), delta));
            InputStream stream = pending.get().body();
            assertEquals(delta, readExactly(stream, delta.length()));
            long closedAtNanos = System.nanoTime();
            stream.close();
            NodeFrame.Cancel cancel = node.expect(NodeFrame.Cancel.class, WAIT);
            assertEquals(new NodeFrame.Cancel(request.id(), "client_disconnected"), cancel);
            assertTrue(System.nanoTime() - closedAtNanos < 1_000_000_000L, "cancel must arrive within a second");
        }
    }

    @Test
    void cutsOffAConsumerThatStopsReadingInsteadOfBufferingWithoutBound() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4)) {
            String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            // The consumer opens the stream and never reads it.
            CompletableFuture<HttpResponse<InputStream>> pending = http.sendAsync(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofInputStream());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "text/event-stream")));
            String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "x".repeat(64 * 1024) + "\"}}]}\n\n";
            NodeFrame cancel = null;
            // Far more than socket buffers and the relay's limit hold together; stop as soon as the gateway gives up.
            for (int sent = 0; sent < 1000 && cancel == null; sent++) {
                node.send(new NodeFrame.Chunk(request.id(), event));
                NodeFrame frame = node.poll(Duration.ZERO);
                if (frame instanceof NodeFrame.Cancel) {
                    cancel = frame;
                }
            }
            if (cancel == null) {
                cancel = node.expect(NodeFrame.Cancel.class, WAIT);
            }
            assertEquals(new NodeFrame.Cancel(request.id(), "consumer_too_slow"), cancel);
            pending.get().body().close();
        }
    }

    @Test
    void mapsAFailBeforeAnyOutputToTheProtocolsErrorResponse() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.ANTHROPIC, 4)) {
            String body = "{\"model\":\"" + model + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/messages", body).build(),
                HttpResponse.BodyHandlers.ofString());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            node.send(new NodeFrame.Fail(request.id(), FailKind.OVERLOADED, 529, "Overloaded", true, null));
            HttpResponse<String> response = pending.get();
            assertEquals(529, response.statusCode());
            assertEquals("5", response.headers().firstValue("retry-after").orElseThrow());
            assertTrue(response.body().contains("\"type\":\"overloaded_error\""), response.body());
            assertTrue(response.body().contains("\"mercato_code\":\"upstream_overloaded\""), response.body());
        }
    }

    @Test
    void cancelsTheNodeAndAnswers504WhenTheDeadlinePasses() throws Exception {
        String model = newModel();
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4)) {
            String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            CompletableFuture<HttpResponse<String>> pending = http.sendAsync(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofString());
            NodeFrame.Request request = node.expect(NodeFrame.Request.class, WAIT);
            assertEquals(new NodeFrame.Cancel(request.id(), "deadline"), node.expect(NodeFrame.Cancel.class, WAIT));
            HttpResponse<String> response = pending.get();
            assertEquals(504, response.statusCode());
            assertEquals("{\"error\":{\"message\":\"The request did not complete within the deadline of 3 seconds.\","
                + "\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_timeout\"}}", response.body());
        }
    }

    @Test
    void answersAllProvidersBusyOnlyWhenEveryNodeIsAtItsCap() throws Exception {
        String model = newModel();
        try (FakeNode first = connectNode(model, Protocol.OPENAI, 1); FakeNode second = connectNode(model, Protocol.OPENAI, 1)) {
            String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            http.sendAsync(post("/v1/chat/completions", body).build(), HttpResponse.BodyHandlers.ofString());
            http.sendAsync(post("/v1/chat/completions", body).build(), HttpResponse.BodyHandlers.ofString());
            // Least-loaded choice: one request on each node, not two on one.
            first.expect(NodeFrame.Request.class, WAIT);
            second.expect(NodeFrame.Request.class, WAIT);
            HttpResponse<String> third = http.send(post("/v1/chat/completions", body).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, third.statusCode());
            assertEquals("2", third.headers().firstValue("retry-after").orElseThrow());
            assertEquals("{\"error\":{\"message\":\"All 2 provider node(s) serving model '" + model + "' are at their "
                + "concurrency limit; retry in 2 seconds.\",\"type\":\"service_unavailable_error\",\"param\":null,"
                + "\"code\":\"all_providers_busy\"}}", third.body());
        }
    }

    @Test
    void answersAllProvidersRestingWithTheSecondsUntilTheEarliestReturns() throws Exception {
        String model = newModel();
        // Online for 60 minutes from 90 minutes ago, then resting for 60: back in 30 minutes.
        LocalDateTime start = LocalDateTime.now(ZoneOffset.UTC).minusMinutes(90);
        Schedule resting = new Schedule("UTC", start.withNano(0).toString(), 60, 60);
        try (FakeNode node = connectNode(model, Protocol.OPENAI, 4, resting)) {
            String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            HttpResponse<String> response = http.send(post("/v1/chat/completions", body).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(503, response.statusCode());
            int retryAfter = Integer.parseInt(response.headers().firstValue("retry-after").orElseThrow());
            assertTrue(retryAfter >= 1795 && retryAfter <= 1801, "retry-after was " + retryAfter);
            assertTrue(response.body().contains("\"code\":\"all_providers_resting\""), response.body());
            assertFalse(node.poll(Duration.ofMillis(200)) instanceof NodeFrame.Request, "a resting node got work");
        }
    }

    @Test
    void answersNoProvidersOnlineOnceTheLastNodeServingAModelLeaves() throws Exception {
        String model = newModel();
        FakeNode node = connectNode(model, Protocol.OPENAI, 4);
        node.abort();
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> response = null;
        for (int attempt = 0; attempt < 50; attempt++) { // the gateway notices the dropped socket within moments
            response = http.send(post("/v1/chat/completions", body).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 503) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals(503, response.statusCode());
        assertEquals("{\"error\":{\"message\":\"No provider node serving model '" + model + "' is online right now; "
            + "try again in a few minutes.\",\"type\":\"service_unavailable_error\",\"param\":null,"
            + "\"code\":\"no_providers_online\"}}", response.body());
    }

    private static String readExactly(InputStream stream, int byteCount) throws IOException {
        return new String(stream.readNBytes(byteCount), StandardCharsets.UTF_8);
    }
}
