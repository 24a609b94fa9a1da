package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulator over real HTTP/1.1: framing, timing, drops, keep-alive, keys and limits. */
class SimulatorServerTest {

    private SimulatorServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void streamsEachPartAsOneChunkAtItsTime() throws Exception {
        SimulatorSettings settings = SimulatorSettings.defaults().withFirstTokenLatencyMillis(300)
            .withTokensPerSecond(20).withOutputTokens(4);
        server = SimulatorServer.start("127.0.0.1", 0, settings);
        SimulatedResponse planned = new Simulator(settings).plan(Protocol.ANTHROPIC, "/v1/messages",
            Requests.ANTHROPIC_STREAM);

        try (RawHttp http = new RawHttp(server.port())) {
            long sentNanos = http.send("POST", "/v1/messages", Map.of(), Requests.ANTHROPIC_STREAM);
            RawHttp.Reply reply = http.read();

            assertEquals(200, reply.status());
            assertEquals("text/event-stream", reply.headers().get("content-type"));
            assertEquals("chunked", reply.headers().get("transfer-encoding"));
            assertEquals("req_sim_00000001", reply.headers().get("request-id"));
            assertTrue(reply.complete());
            assertEquals(planned.parts().stream().map(Part::data).toList(),
                reply.chunks().stream().map(RawHttp.Chunk::data).toList());
            long firstMillis = (reply.chunks().getFirst().arrivalNanos() - sentNanos) / 1_000_000;
            long lastMillis = (reply.chunks().getLast().arrivalNanos() - sentNanos) / 1_000_000;
            assertTrue(firstMillis >= 300, "first part after the latency, came after " + firstMillis + " ms");
            assertTrue(lastMillis >= 300 + 4 * 50, "four tokens 50 ms apart, last part after " + lastMillis + " ms");
        }
    }

    @Test
    void answersANonStreamingRequestWithOneBodyOfKnownLength() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults().withFirstTokenLatencyMillis(150));

        try (RawHttp http = new RawHttp(server.port())) {
            long sentNanos = http.send("POST", "/v1/chat/completions", Map.of(), Requests.CHAT);
            RawHttp.Reply reply = http.read();

            assertEquals(200, reply.status());
            assertEquals("application/json", reply.headers().get("content-type"));
            assertEquals(Integer.toString(reply.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
                reply.headers().get("content-length"));
            assertTrue(reply.body().startsWith("{\"id\":\"chatcmpl-sim00000001\",\"object\":\"chat.completion\","));
            assertTrue((reply.chunks().getFirst().arrivalNanos() - sentNanos) / 1_000_000 >= 150);
        }
    }

    @Test
    void dropsTheConnectionWithoutTheLastChunkAfterTheDirectedParts() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults());

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/v1/chat/completions", Map.of(), Requests.chatSaying("Hi [[sim:drop-after=3]]", true));
            RawHttp.Reply reply = http.read();

            assertEquals(200, reply.status());
            assertFalse(reply.complete(), "no terminating chunk");
            assertEquals(3, reply.chunks().size());
            assertTrue(reply.chunks().get(2).data().contains("\"delta\":{\"content\":\" answer\"}"));
        }
    }

    @Test
    void dropAfterZeroClosesTheConnectionBeforeAnyResponse() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults());

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/v1/messages", Map.of(), Requests.anthropicSaying("[[sim:drop-after=0]]", false));

            assertEquals(0, http.read().status());
        }
    }

    @Test
    void keepsTheConnectionAliveAndAnswersPipelinedRequestsInOrder() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults().withTokensPerSecond(200));

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/v1/messages", Map.of(), Requests.ANTHROPIC_STREAM);
            http.send("POST", "/v1/chat/completions", Map.of(), Requests.CHAT);
            RawHttp.Reply first = http.read();
            RawHttp.Reply second = http.read();
            http.send("POST", "/v1/responses", Map.of(), Requests.RESPONSES);
            RawHttp.Reply third = http.read();

            assertTrue(first.complete());
            assertTrue(first.body().endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
            assertTrue(second.body().startsWith("{\"id\":\"chatcmpl-sim00000002\""));
            assertTrue(third.body().startsWith("{\"id\":\"resp_sim00000003\""));
        }
    }

    @Test
    void closesTheConnectionAfterTheAnswerWhenTheClientAsksTo() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults());

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/v1/chat/completions", Map.of("connection", "close"), Requests.CHAT_STREAM);
            RawHttp.Reply reply = http.read();

            assertTrue(reply.complete());
            assertEquals("close", reply.headers().get("connection"));
            assertTrue(http.closedByServer());
        }
    }

    @Test
    void requiredApiKeyRefusesAWrongKeyInTheProtocolsShape() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults().withRequiredApiKey("sk-right"));

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/v1/messages", Map.of("x-api-key", "sk-wrong"), Requests.ANTHROPIC);
            RawHttp.Reply wrongAnthropic = http.read();
            http.send("POST", "/v1/chat/completions", Map.of(), Requests.CHAT);
            RawHttp.Reply missingOpenAi = http.read();
            http.send("POST", "/v1/messages", Map.of("x-api-key", "sk-right"), Requests.ANTHROPIC);
            RawHttp.Reply rightAnthropic = http.read();
            http.send("POST", "/v1/chat/completions", Map.of("authorization", "Bearer sk-right"), Requests.CHAT);
            RawHttp.Reply rightOpenAi = http.read();

            assertEquals(401, wrongAnthropic.status());
            assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
                + "\"invalid x-api-key\"},\"request_id\":\"req_sim_00000001\"}", wrongAnthropic.body());
            assertEquals(401, missingOpenAi.status());
            assertEquals("{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":\"invalid_api_key\"}}", missingOpenAi.body());
            assertEquals(200, rightAnthropic.status());
            assertEquals(200, rightOpenAi.status());
        }
    }

    @Test
    void refusesABodyOverTheLimitWithA413AndKeepsTheConnection() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults());
        String huge = Requests.anthropicSaying("x".repeat(SimulatorServer.MAX_REQUEST_BODY_BYTES), false);

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/v1/messages", Map.of(), huge);
            RawHttp.Reply reply = http.read();

            assertEquals(413, reply.status());
            assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\"Request body"
                + " exceeds the limit of 4194304 bytes.\"},\"request_id\":\"req_sim_00000001\"}", reply.body());
            http.send("POST", "/v1/messages", Map.of(), Requests.ANTHROPIC);
            assertEquals(200, http.read().status());
        }
    }

    @Test
    void answersOtherMethodsAndUnknownPathsWithTheProtocolsNotFound() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults());

        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET", "/v1/chat/completions", Map.of(), "");
            RawHttp.Reply get = http.read();
            http.send("POST", "/v1/complete", Map.of("anthropic-version", "2023-06-01"), "{}");
            RawHttp.Reply unknownAnthropic = http.read();

            assertEquals(404, get.status());
            assertEquals("{\"error\":{\"message\":\"Invalid URL (GET /v1/chat/completions)\",\"type\":"
                + "\"invalid_request_error\",\"param\":null,\"code\":null}}", get.body());
            assertEquals(404, unknownAnthropic.status());
            assertTrue(unknownAnthropic.body().contains("\"type\":\"not_found_error\""));
        }
    }

    @Test
    void refusesToStartOnAPortInUse() {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults());

        IllegalStateException busy = assertThrows(IllegalStateException.class,
            () -> SimulatorServer.start("127.0.0.1", server.port(), SimulatorSettings.defaults()));
        assertTrue(busy.getMessage().startsWith("cannot bind the simulator to 127.0.0.1:" + server.port()),
            busy.getMessage());
    }

    @Test
    void servesManyConcurrentStreamsWithoutMixingThem() throws Exception {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults().withTokensPerSecond(500));
        List<Thread> clients = new java.util.ArrayList<>();
        List<String> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (int i = 0; i < 16; i++) {
            String word = "client" + i;
            clients.add(Thread.ofVirtual().start(() -> {
                try (RawHttp http = new RawHttp(server.port())) {
                    http.send("POST", "/v1/messages", Map.of(), Requests.anthropicSaying(word, true)
                        .replace("claude-sim", word));
                    RawHttp.Reply reply = http.read();
                    if (!reply.complete() || !reply.body().contains("\"model\":\"" + word + "\"")
                        || !reply.body().contains("\"text\":\" " + word + "\"")) {
                        failures.add(word + ": " + reply.body());
                    }
                } catch (Exception e) {
                    failures.add(word + ": " + e);
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }
        assertEquals(List.of(), failures);
    }
}
