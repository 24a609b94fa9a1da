package dev.mercato.agent.upstream;

import dev.mercato.protocol.FailKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UpstreamFailureTest {

    @ParameterizedTest
    @CsvSource({
        "401, AUTH, true", "403, AUTH, true", "402, AUTH, true", "408, TIMEOUT, true",
        "429, RATE_LIMITED, true", "529, OVERLOADED, true", "503, OVERLOADED, true",
        "500, UPSTREAM_ERROR, true", "502, UPSTREAM_ERROR, true", "409, UPSTREAM_ERROR, true",
        "400, BAD_REQUEST, false", "404, BAD_REQUEST, false", "413, BAD_REQUEST, false", "422, BAD_REQUEST, false"})
    void mapsEachStatusToItsKindAndRetryability(int status, FailKind kind, boolean retryable) {
        UpstreamFailure failure = UpstreamFailure.fromResponse(status, null, "");

        assertEquals(new UpstreamFailure(kind, status, "upstream answered HTTP " + status, retryable, null), failure);
    }

    @Test
    void carriesTheMessageOfAnAnthropicErrorBody() {
        UpstreamFailure failure = UpstreamFailure.fromResponse(400, null,
            "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: Field "
                + "required\"},\"request_id\":\"req_1\"}");

        assertEquals("max_tokens: Field required", failure.message());
    }

    @Test
    void carriesTheMessageOfAnOpenAiErrorBodyAndTheRetryAfter() {
        UpstreamFailure failure = UpstreamFailure.fromResponse(429, "7",
            "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":null}}");

        assertEquals(new UpstreamFailure(FailKind.RATE_LIMITED, 429, "Rate limit reached", true, 7), failure);
    }

    @Test
    void carriesATopLevelMessageOrDetail() {
        assertEquals("model not found", UpstreamFailure.messageOf(404, "{\"detail\":\"model not found\"}"));
        assertEquals("bad input", UpstreamFailure.messageOf(400, "{\"object\":\"error\",\"message\":\"bad input\"}"));
    }

    @Test
    void cutsALongNonJsonBody() {
        String message = UpstreamFailure.messageOf(502, "x".repeat(5000));

        assertEquals("x".repeat(UpstreamFailure.MAX_MESSAGE_CHARS) + "…", message);
    }

    @Test
    void ignoresARetryAfterThatIsADate() {
        assertEquals(null, UpstreamFailure.retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT"));
        assertEquals(2, UpstreamFailure.retryAfterSeconds("1.5"));
    }
}
