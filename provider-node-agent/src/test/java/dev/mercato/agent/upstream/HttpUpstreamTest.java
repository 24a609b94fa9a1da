package dev.mercato.agent.upstream;

import com.sun.net.httpserver.HttpServer;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.config.UpstreamType;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.TokenUsage;
import dev.mercato.simulator.SimulatedResponse;
import dev.mercato.simulator.Simulator;
import dev.mercato.simulator.SimulatorServer;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpUpstreamTest {

    private static final String OPERATOR_KEY = "sk-operator-key";
    private static final SimulatorSettings SETTINGS = SimulatorSettings.defaults()
        .withRequiredApiKey(OPERATOR_KEY)
        .withCacheReadTokens(1024);
    private static final String CLAUDE_STREAM = "{\"model\":\"claude-sim\",\"max_tokens\":256,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story. [[sim:tokens-per-second=400]]\"}]}";

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
        scheduler.shutdownNow();
    }

    @Test
    void streamsAnAnthropicAnswerInOrderIntactAndWithItsUsage() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();
        SimulatedResponse expected = new Simulator(SETTINGS).plan(Protocol.ANTHROPIC, "/v1/messages", CLAUDE_STREAM);

        upstream.start(request(Protocol.ANTHROPIC, "/v1/messages", "claude-sim", CLAUDE_STREAM), sink);
        sink.awaitEnd();

        assertEquals(new RecordingSink.Head(200, Map.of("content-type", "text/event-stream",
            "request-id", "req_sim_00000001")), sink.head());
        assertEquals(expected.body(), sink.body());
        assertTrue(sink.chunks().size() > 10, "the stream arrived as it was produced, in many chunks");
        assertEquals(new RecordingSink.End(expected.usage()), sink.last());
        assertEquals(new TokenUsage(expected.usage().inputTokens(), 24, 0, 1024, 0), expected.usage());
    }

    @Test
    void parsesOpenAiStreamUsageWithCachedTokensTakenOutOfThePrompt() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.OPENAI_COMPATIBLE, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("gpt-sim", Protocol.OPENAI));
        String body = "{\"model\":\"gpt-sim\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}";
        RecordingSink sink = new RecordingSink();
        SimulatedResponse expected = new Simulator(SETTINGS).plan(Protocol.OPENAI, "/v1/chat/completions", body);

        upstream.start(request(Protocol.OPENAI, "/v1/chat/completions", "gpt-sim", body), sink);
        sink.awaitEnd();

        TokenUsage usage = ((RecordingSink.End) sink.last()).usage();
        assertEquals(new TokenUsage(expected.usage().inputTokens(), 24, 0, 1024, 0), usage);
        assertTrue(sink.body().contains("\"prompt_tokens\":" + (expected.usage().inputTokens() + 1024)),
            "the upstream counted the cached tokens inside prompt_tokens");
    }

    @Test
    void parsesTheUsageOfANonStreamedResponsesBody() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.OPENAI, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("gpt-sim", Protocol.OPENAI));
        String body = "{\"model\":\"gpt-sim\",\"input\":\"Hello there\"}";
        RecordingSink sink = new RecordingSink();
        SimulatedResponse expected = new Simulator(SETTINGS).plan(Protocol.OPENAI, "/v1/responses", body);

        upstream.start(request(Protocol.OPENAI, "/v1/responses", "gpt-sim", body), sink);
        sink.awaitEnd();

        assertEquals(expected.body(), sink.body());
        assertEquals(new RecordingSink.End(new TokenUsage(expected.usage().inputTokens(), 24, 0, 1024, 0)),
            sink.last());
    }

    @Test
    void aRejectedOperatorKeyFailsAsRetryableAuth() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, simulator(SETTINGS), "sk-wrong",
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.ANTHROPIC, "/v1/messages", "claude-sim", CLAUDE_STREAM), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.AUTH, 401, "invalid x-api-key", true, null)),
            sink.events());
    }

    @Test
    void aMalformedRequestFailsAsBadRequestWithTheUpstreamMessage() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.ANTHROPIC, "/v1/messages", "claude-sim",
            "{\"model\":\"claude-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.BAD_REQUEST, 400, "max_tokens: Field required", false,
            null)), sink.events());
    }

    @Test
    void aRateLimitCarriesTheUpstreamRetryAfter() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.OPENAI, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("gpt-sim", Protocol.OPENAI));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.OPENAI, "/v1/chat/completions", "gpt-sim",
            "{\"model\":\"gpt-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"[[sim:fail=rate_limited]]\"}]}"),
            sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.RATE_LIMITED, 429,
            "Simulated rate limit reached; retry after 1 second.", true, 1)), sink.events());
    }

    @Test
    void anUnreachableUpstreamFailsAsRetryableUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, URI.create("http://127.0.0.1:" + closedPort),
            OPERATOR_KEY, ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.ANTHROPIC, "/v1/messages", "claude-sim", CLAUDE_STREAM), sink);
        sink.awaitEnd();

        RecordingSink.Fail fail = (RecordingSink.Fail) sink.last();
        assertEquals(List.of(FailKind.UNAVAILABLE, 502, true), List.of(fail.kind(), fail.status(), fail.retryable()));
        assertTrue(fail.message().startsWith("upstream 127.0.0.1 is unreachable"), fail.message());
    }

    @Test
    void theDeadlineEndsASlowUpstreamAsTimeout() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();
        String slow = CLAUDE_STREAM.replace("[[sim:tokens-per-second=400]]", "[[sim:latency-ms=5000]]");

        upstream.start(new NodeFrame.Request("req_1", Protocol.ANTHROPIC, "/v1/messages", "claude-sim", Map.of(),
            slow, System.currentTimeMillis() + 300), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.TIMEOUT, 504,
            "upstream 127.0.0.1 did not finish within the request's deadline", true, null)), sink.events());
    }

    @Test
    void cancelStopsTheStreamAndReportsNothingMore() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();
        String slow = CLAUDE_STREAM.replace("[[sim:tokens-per-second=400]]",
            "[[sim:tokens-per-second=20]] [[sim:tokens=200]]");

        UpstreamCall call = upstream.start(request(Protocol.ANTHROPIC, "/v1/messages", "claude-sim", slow), sink);
        sink.awaitHead();
        call.cancel();
        int eventsAtCancel = sink.events().size();

        assertFalse(sink.endsWithin(Duration.ofMillis(500)), "no end or fail after a cancel");
        assertEquals(eventsAtCancel, sink.events().size());
    }

    @Test
    void sendsTheOperatorKeyAndOnlyTheAllowedHeaders() throws Exception {
        Map<String, List<String>> seenHeaders = new ConcurrentHashMap<>();
        List<String> seenBodies = new ArrayList<>();
        URI baseUrl = rawServer(exchange -> {
            seenHeaders.putAll(exchange.getRequestHeaders());
            seenBodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = "{\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, baseUrl, OPERATOR_KEY,
            new ModelConfig("claude-sim", Protocol.ANTHROPIC, "claude-sonnet-4-5", null));
        RecordingSink sink = new RecordingSink();

        upstream.start(new NodeFrame.Request("req_1", Protocol.ANTHROPIC, "/v1/messages", "claude-sim",
            Map.of("x-api-key", "consumer-key", "Authorization", "Bearer consumer-key", "Anthropic-Beta",
                "tools-2024", "cookie", "session=1"),
            "{\"model\":\"claude-sim\",\"max_tokens\":5}", System.currentTimeMillis() + 10_000), sink);
        sink.awaitEnd();

        assertEquals(List.of(OPERATOR_KEY), seenHeaders.get("X-api-key"));
        assertNull(seenHeaders.get("Authorization"));
        assertNull(seenHeaders.get("Cookie"));
        assertEquals(List.of("tools-2024"), seenHeaders.get("Anthropic-beta"));
        assertEquals(List.of("2023-06-01"), seenHeaders.get("Anthropic-version"));
        assertEquals(List.of("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5}"), seenBodies);
        assertEquals(new RecordingSink.End(new TokenUsage(3, 4, 0, 0, 0)), sink.last());
    }

    @Test
    void sendsAnOpenAiKeyAsBearerToken() throws Exception {
        Map<String, List<String>> seenHeaders = new ConcurrentHashMap<>();
        URI baseUrl = rawServer(exchange -> {
            seenHeaders.putAll(exchange.getRequestHeaders());
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        HttpUpstream upstream = upstream(UpstreamType.OPENAI, URI.create(baseUrl + "/v1"), OPERATOR_KEY,
            ModelConfig.of("gpt-sim", Protocol.OPENAI));
        RecordingSink sink = new RecordingSink();

        upstream.start(new NodeFrame.Request("req_1", Protocol.OPENAI, "/v1/chat/completions", "gpt-sim",
            Map.of("openai-beta", "assistants=v2"), "{}", System.currentTimeMillis() + 10_000), sink);
        sink.awaitEnd();

        assertEquals(List.of("Bearer " + OPERATOR_KEY), seenHeaders.get("Authorization"));
        assertNull(seenHeaders.get("X-api-key"));
        assertNull(seenHeaders.get("Anthropic-version"));
        assertEquals(List.of("assistants=v2"), seenHeaders.get("Openai-beta"));
        assertEquals(new RecordingSink.End(null), sink.last());
    }

    @Test
    void keepsAMultiByteCharacterSplitAcrossNetworkWritesIntact() throws Exception {
        byte[] stream = "data: {\"text\":\"é😀€\"}\n\n".getBytes(StandardCharsets.UTF_8);
        int[] cuts = {0, 16, 18, 22, stream.length};
        URI baseUrl = rawServer(exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (int i = 0; i + 1 < cuts.length; i++) {
                out.write(Arrays.copyOfRange(stream, cuts[i], cuts[i + 1]));
                out.flush();
                sleepMillis(60);
            }
            exchange.close();
        });
        HttpUpstream upstream = upstream(UpstreamType.OPENAI_COMPATIBLE, baseUrl, null,
            ModelConfig.of("gpt-sim", Protocol.OPENAI));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.OPENAI, "/v1/chat/completions", "gpt-sim", "{}"), sink);
        sink.awaitEnd();

        assertEquals("data: {\"text\":\"é😀€\"}\n\n", sink.body());
        assertEquals(List.of("data: {\"text\":\"", "é", "😀", "€\"}\n\n"), sink.chunks());
    }

    @Test
    void refusesAPathOutsideTheApi() throws Exception {
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, simulator(SETTINGS), OPERATOR_KEY,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.ANTHROPIC, "/v1/../admin", "claude-sim", CLAUDE_STREAM), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.BAD_REQUEST, 400,
            "path '/v1/../admin' is not an API path this node forwards", false, null)), sink.events());
    }

    @Test
    void forwardsASimpleQueryString() throws Exception {
        List<String> seenUris = new ArrayList<>();
        URI baseUrl = rawServer(exchange -> {
            seenUris.add(exchange.getRequestURI().toString());
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        HttpUpstream upstream = upstream(UpstreamType.ANTHROPIC, baseUrl, OPERATOR_KEY,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));
        RecordingSink sink = new RecordingSink();

        upstream.start(request(Protocol.ANTHROPIC, "/v1/messages?beta=true", "claude-sim", "{}"), sink);
        sink.awaitEnd();

        assertEquals(List.of("/v1/messages?beta=true"), seenUris);
    }

    @Test
    void doesNotDoubleTheV1OfABaseUrl() {
        HttpUpstream upstream = upstream(UpstreamType.OPENAI_COMPATIBLE, URI.create("http://127.0.0.1:8000/v1/"),
            null, ModelConfig.of("m", Protocol.OPENAI));

        assertEquals(URI.create("http://127.0.0.1:8000/v1/chat/completions"), upstream.resolve("/v1/chat/completions"));
    }

    private URI simulator(SimulatorSettings settings) {
        SimulatorServer server = SimulatorServer.start("127.0.0.1", 0, settings);
        resources.add(server);
        return URI.create("http://127.0.0.1:" + server.port());
    }

    private HttpUpstream upstream(UpstreamType type, URI baseUrl, String apiKey, ModelConfig model) {
        HttpUpstream upstream = new HttpUpstream(UpstreamConfig.http(type, baseUrl, apiKey, List.of(model)),
            scheduler, Clock.systemUTC());
        resources.add(upstream::close);
        return upstream;
    }

    private static NodeFrame.Request request(Protocol protocol, String path, String model, String body) {
        return new NodeFrame.Request("req_1", protocol, path, model, Map.of(), body,
            System.currentTimeMillis() + 30_000);
    }

    private URI rawServer(com.sun.net.httpserver.HttpHandler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", handler);
        server.start();
        resources.add(() -> server.stop(0));
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
