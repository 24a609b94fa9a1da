package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.TokenUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failure injection, directives, pacing and request validation, in each protocol's real error shape. */
class FailuresAndDirectivesTest {

    private final Simulator simulator = Requests.simulator(SimulatorSettings.defaults());

    @ParameterizedTest(name = "fail={0} answers Anthropic {1} {2}")
    @CsvSource({
        "auth, 401, authentication_error, invalid x-api-key",
        "rate_limited, 429, rate_limit_error, Simulated rate limit reached; retry after 1 second.",
        "overloaded, 529, overloaded_error, Overloaded",
        "server_error, 500, api_error, Internal server error",
        "bad_request, 400, invalid_request_error, Simulated bad request (directive fail=bad_request).",
    })
    void anthropicFailureDirectiveAnswersTheRealStatusAndErrorBody(String kind, int status, String type,
                                                                  String message) {
        SimulatedResponse response = Requests.anthropic(simulator,
            Requests.anthropicSaying("Hi [[sim:fail=" + kind + "]]", true));

        assertEquals(status, response.status());
        assertEquals("application/json", response.headers().get("content-type"));
        assertEquals(List.of(new Part(0, "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\""
            + message + "\"},\"request_id\":\"req_sim_00000001\"}")), response.parts());
        assertEquals(TokenUsage.ZERO, response.usage());
        assertEquals(Ending.COMPLETE, response.ending());
    }

    @ParameterizedTest(name = "fail={0} answers OpenAI {1} {2}")
    @CsvSource({
        "auth, 401, invalid_request_error, invalid_api_key, Incorrect API key provided.",
        "rate_limited, 429, requests, rate_limit_exceeded, Simulated rate limit reached; retry after 1 second.",
        "overloaded, 503, server_error, , The server is overloaded or not ready yet.",
        "server_error, 500, server_error, , The server had an error while processing your request. Sorry about that!",
        "bad_request, 400, invalid_request_error, , Simulated bad request (directive fail=bad_request).",
    })
    void openAiFailureDirectiveAnswersTheRealStatusAndErrorBody(String kind, int status, String type, String code,
                                                               String message) {
        SimulatedResponse response = Requests.chat(simulator, Requests.chatSaying("Hi [[sim:fail=" + kind + "]]", false));

        assertEquals(status, response.status());
        assertEquals("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":"
            + (code == null ? "null" : "\"" + code + "\"") + "}}", response.body());
        assertEquals("req_sim_00000001", response.headers().get("x-request-id"));
    }

    @Test
    void rateLimitTellsTheClientWhenToRetry() {
        SimulatedResponse anthropic = Requests.anthropic(simulator,
            Requests.anthropicSaying("[[sim:fail=rate_limited]]", false));
        SimulatedResponse openAi = Requests.chat(simulator, Requests.chatSaying("[[sim:fail=rate_limited]]", false));

        assertEquals("1", anthropic.headers().get("retry-after"));
        assertEquals("1", openAi.headers().get("retry-after"));
    }

    @Test
    void dropAfterSendsOnlyThatManyPartsThenDrops() {
        SimulatedResponse complete = Requests.anthropic(simulator, Requests.anthropicSaying("Hi [[sim:drop-after=3]]",
            true).replace("[[sim:drop-after=3]]", "[[sim:tokens=24]]   "));
        SimulatedResponse dropped = Requests.anthropic(simulator,
            Requests.anthropicSaying("Hi [[sim:drop-after=3]]", true));

        assertEquals(Ending.DROP, dropped.ending());
        assertEquals(200, dropped.status());
        assertEquals(3, dropped.parts().size());
        assertEquals(complete.parts().subList(0, 3).stream().map(Part::data).map(d -> d.replace("00000001", "00000002"))
            .toList(), dropped.parts().stream().map(Part::data).toList());
        assertEquals(Ending.COMPLETE, complete.ending());
    }

    @Test
    void dropAfterZeroDropsBeforeAnyByte() {
        SimulatedResponse dropped = Requests.chat(simulator, Requests.chatSaying("[[sim:drop-after=0]]", false));

        assertEquals(List.of(), dropped.parts());
        assertEquals(Ending.DROP, dropped.ending());
    }

    @Test
    void latencyDirectiveDelaysTheFirstPart() {
        SimulatedResponse response = Requests.chat(simulator, Requests.chatSaying("Hi [[sim:latency-ms=2000]]", true));

        assertEquals(2000, response.parts().getFirst().delayMillis());
        assertEquals(2000, response.totalDelayMillis());
    }

    @Test
    void tokensDirectiveSetsTheAnswerLengthUpToTheRequestCap() {
        SimulatedResponse uncapped = Requests.chat(simulator, Requests.chatSaying("Hi [[sim:tokens=200]]", false));
        SimulatedResponse capped = Requests.anthropic(simulator, Requests.anthropicSaying("Hi [[sim:tokens=200]]", false));

        assertEquals(200, uncapped.usage().outputTokens());
        assertTrue(uncapped.body().contains("\"content\":\"Simulated answer from gpt-sim (200 tokens): lorem"));
        assertEquals(64, capped.usage().outputTokens());
        assertTrue(capped.body().contains("\"stop_reason\":\"max_tokens\""));
    }

    @Test
    void tokensPerSecondPacesEachTokenPartAfterTheFirstTokenLatency() {
        Simulator paced = Requests.simulator(SimulatorSettings.defaults().withFirstTokenLatencyMillis(100)
            .withOutputTokens(3));

        SimulatedResponse response = Requests.chat(paced, Requests.chatSaying("Hi [[sim:tokens-per-second=20]]", true));

        // role chunk at the latency, three tokens 50 ms apart, then the finish chunk and [DONE] at once.
        assertEquals(List.of(100L, 50L, 50L, 50L, 0L, 0L), delays(response));
    }

    @Test
    void hiddenReasoningTokensTakeTheirTimeBeforeTheFirstVisibleToken() {
        Simulator paced = Requests.simulator(SimulatorSettings.defaults().withTokensPerSecond(100).withOutputTokens(2));

        SimulatedResponse response = Requests.chat(paced, """
            {"model":"gpt-sim","stream":true,"reasoning_effort":"high","messages":[{"role":"user","content":"Hi"}]}""");

        assertEquals(List.of(0L, 90L, 10L, 0L, 0L), delays(response));
        assertEquals(new TokenUsage(1, 10, 0, 0, 8), response.usage());
    }

    @Test
    void nonStreamingAnswerComesWhenAllItsTokensAreGenerated() {
        Simulator paced = Requests.simulator(SimulatorSettings.defaults().withFirstTokenLatencyMillis(100)
            .withTokensPerSecond(20));

        SimulatedResponse response = Requests.responses(paced, Requests.RESPONSES);

        assertEquals(List.of(100L + 24 * 1000 / 20), delays(response));
    }

    @Test
    void unknownDirectiveIsABadRequestSoATypoNeverPassesSilently() {
        SimulatedResponse response = Requests.anthropic(simulator, Requests.anthropicSaying("[[sim:tokenz=5]]", false));

        assertEquals(400, response.status());
        assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"unknown simulator"
            + " directive [[sim:tokenz=5]] (expected fail, drop-after, latency-ms, tokens or tokens-per-second)\"},"
            + "\"request_id\":\"req_sim_00000001\"}", response.body());
    }

    @Test
    void directiveValuesOutsideTheirLimitsAreBadRequests() {
        SimulatedResponse tooMany = Requests.chat(simulator, Requests.chatSaying("[[sim:tokens=9000]]", false));
        SimulatedResponse notANumber = Requests.chat(simulator, Requests.chatSaying("[[sim:latency-ms=soon]]", false));
        SimulatedResponse unknownKind = Requests.chat(simulator, Requests.chatSaying("[[sim:fail=boom]]", false));

        assertEquals(400, tooMany.status());
        assertTrue(tooMany.body().contains("[[sim:tokens=9000]] is outside 0..8192"), tooMany.body());
        assertEquals(400, notANumber.status());
        assertTrue(notANumber.body().contains("[[sim:latency-ms=soon]] needs a whole number"), notANumber.body());
        assertEquals(400, unknownKind.status());
        assertTrue(unknownKind.body().contains("unknown failure kind 'boom' (expected one of auth, rate_limited,"
            + " overloaded, server_error, bad_request)"), unknownKind.body());
    }

    @Test
    void invalidJsonIsABadRequestInEachProtocol() {
        SimulatedResponse anthropic = Requests.anthropic(simulator, "{\"model\":");
        SimulatedResponse openAi = Requests.responses(simulator, "[1,2]");

        assertEquals(400, anthropic.status());
        assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"request body is"
            + " not valid JSON (line 1, column 10)\"},\"request_id\":\"req_sim_00000001\"}", anthropic.body());
        assertEquals(400, openAi.status());
        assertEquals("{\"error\":{\"message\":\"request body must be a JSON object\",\"type\":\"invalid_request_error\","
            + "\"param\":null,\"code\":null}}", openAi.body());
    }

    @Test
    void missingRequiredFieldsAreBadRequestsNamingTheField() {
        SimulatedResponse noMaxTokens = Requests.anthropic(simulator, """
            {"model":"claude-sim","messages":[{"role":"user","content":"Hi"}]}""");
        SimulatedResponse noMessages = Requests.chat(simulator, "{\"model\":\"gpt-sim\"}");
        SimulatedResponse noModel = Requests.responses(simulator, "{\"input\":\"Hi\"}");

        assertEquals(400, noMaxTokens.status());
        assertTrue(noMaxTokens.body().contains("\"message\":\"max_tokens: Field required\""), noMaxTokens.body());
        assertEquals("{\"error\":{\"message\":\"Missing required parameter: 'messages'.\",\"type\":"
            + "\"invalid_request_error\",\"param\":\"messages\",\"code\":null}}", noMessages.body());
        assertEquals(400, noModel.status());
        assertTrue(noModel.body().contains("\"param\":\"model\""), noModel.body());
    }

    @Test
    void unknownPathIsANotFoundInTheProtocolsShape() {
        SimulatedResponse anthropic = simulator.plan(Protocol.ANTHROPIC, "/v1/complete", "{}");
        SimulatedResponse openAi = simulator.plan(Protocol.OPENAI, "/v1/messages", "{}");

        assertEquals(404, anthropic.status());
        assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"Not Found\"},"
            + "\"request_id\":\"req_sim_00000001\"}", anthropic.body());
        assertEquals(404, openAi.status());
        assertEquals("{\"error\":{\"message\":\"Invalid URL (POST /v1/messages)\",\"type\":\"invalid_request_error\","
            + "\"param\":null,\"code\":null}}", openAi.body());
    }

    @Test
    void settingsFailureRateReplaysTheSameRequestsForTheSameSeed() {
        SimulatorSettings flaky = SimulatorSettings.defaults().withFailures(0.5, "overloaded").withSeed(42);

        List<Integer> first = statuses(Requests.simulator(flaky), 40);
        List<Integer> second = statuses(Requests.simulator(flaky), 40);
        List<Integer> otherSeed = statuses(Requests.simulator(flaky.withSeed(43)), 40);

        assertEquals(first, second);
        assertTrue(first.contains(200) && first.contains(529), first.toString());
        assertTrue(!first.equals(otherSeed), "another seed fails other requests");
    }

    @Test
    void settingsFailureRateOfOneFailsEveryRequestWithItsKind() {
        Simulator failing = Requests.simulator(SimulatorSettings.defaults().withFailures(1.0, "server_error"));

        assertEquals(List.of(500, 500, 500), statuses(failing, 3));
    }

    @Test
    void settingsRejectAFailureRateWithoutAKindAndOutOfRangeValues() {
        SimulatorSettings defaults = SimulatorSettings.defaults();

        IllegalArgumentException noKind = assertThrows(IllegalArgumentException.class,
            () -> defaults.withFailures(0.1, null));
        assertEquals("failureRate 0.1 needs a failureKind (one of auth, rate_limited, overloaded, server_error,"
            + " bad_request)", noKind.getMessage());
        assertThrows(IllegalArgumentException.class, () -> defaults.withFailures(1.5, "auth"));
        assertThrows(IllegalArgumentException.class, () -> defaults.withFailures(0.1, "timeout"));
        assertThrows(IllegalArgumentException.class, () -> defaults.withOutputTokens(9000));
        assertThrows(IllegalArgumentException.class, () -> defaults.withTokensPerSecond(-1));
    }

    @Test
    void toolChoiceNoneAnswersWithText() {
        SimulatedResponse response = Requests.chat(simulator, """
            {"model":"gpt-sim","tool_choice":"none","tools":[{"type":"function","function":{"name":"f"}}],\
            "messages":[{"role":"user","content":"Hi"}]}""");

        assertTrue(response.body().contains("\"finish_reason\":\"stop\""), response.body());
    }

    @Test
    void promptTextCountsEveryTextPieceOfSystemAndMessages() {
        SimulatedResponse response = simulator.plan(Protocol.ANTHROPIC, "/v1/messages/count_tokens", """
            {"model":"claude-sim","system":[{"type":"text","text":"Be kind."}],"messages":[\
            {"role":"user","content":[{"type":"text","text":"Grüße"}]},{"role":"assistant","content":"Hallo"}]}""");

        // "Be kind.\nGrüße\nHallo": 8 + 1 + 7 (ü and ß take two bytes) + 1 + 5 = 22 bytes, 6 tokens.
        assertEquals("{\"input_tokens\":6}", response.body());
    }

    private static List<Long> delays(SimulatedResponse response) {
        return response.parts().stream().map(Part::delayMillis).toList();
    }

    private static List<Integer> statuses(Simulator simulator, int requests) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            statuses.add(Requests.anthropic(simulator, Requests.ANTHROPIC).status());
        }
        return statuses;
    }

    @Test
    void headersNameTheRequestIdTheWayEachProtocolDoes() {
        assertEquals(Map.of("content-type", "text/event-stream", "x-request-id", "req_sim_00000001"),
            Requests.chat(simulator, Requests.CHAT_STREAM).headers());
        assertEquals(Map.of("content-type", "text/event-stream", "request-id", "req_sim_00000002"),
            Requests.anthropic(simulator, Requests.ANTHROPIC_STREAM).headers());
    }
}
