package dev.mercato.gateway.relay;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestParserTest {

    private final RequestParser parser = new RequestParser(JsonMapper.createDefault());

    private ParsedRequest parse(ApiRoute route, String body) {
        return parser.parse(route, body.getBytes(StandardCharsets.UTF_8));
    }

    private ApiError refusal(ApiRoute route, String body) {
        return assertThrows(ApiError.Exception.class, () -> parse(route, body)).error();
    }

    @Test
    void passesAValidMessagesBodyThroughUntouched() {
        String body = "{\"model\":\"claude\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"custom\":true}";
        assertEquals(new ParsedRequest(ApiRoute.MESSAGES, "claude", false, true, 10L, body, null), parse(ApiRoute.MESSAGES, body));
    }

    @Test
    void namesTheMissingOrWrongField() {
        assertEquals(ApiError.invalidParam("model", "The 'model' field is required."),
            refusal(ApiRoute.MESSAGES, "{\"max_tokens\":1,\"messages\":[{}]}"));
        assertEquals(ApiError.invalidParam("max_tokens", "The 'max_tokens' field is required."),
            refusal(ApiRoute.MESSAGES, "{\"model\":\"m\",\"messages\":[{}]}"));
        assertEquals(ApiError.invalidParam("max_tokens", "The 'max_tokens' field must be a positive integer."),
            refusal(ApiRoute.MESSAGES, "{\"model\":\"m\",\"max_tokens\":0,\"messages\":[{}]}"));
        assertEquals(ApiError.invalidParam("max_tokens", "The 'max_tokens' field must be a positive integer."),
            refusal(ApiRoute.MESSAGES, "{\"model\":\"m\",\"max_tokens\":1.5,\"messages\":[{}]}"));
        assertEquals(ApiError.invalidParam("messages", "The 'messages' field must be a non-empty array."),
            refusal(ApiRoute.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[]}"));
        assertEquals(ApiError.invalidParam("stream", "The 'stream' field must be true or false."),
            refusal(ApiRoute.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[{}],\"stream\":\"yes\"}"));
        assertEquals(ApiError.invalidParam("model", "The 'model' field must be a non-empty string."),
            refusal(ApiRoute.RESPONSES, "{\"model\":42,\"input\":\"hi\"}"));
    }

    @Test
    void refusesWhatIsNotAJsonObject() {
        assertEquals(ErrorCode.INVALID_REQUEST, refusal(ApiRoute.RESPONSES, "[1,2]").code());
        assertEquals("The request body must be a JSON object.", refusal(ApiRoute.RESPONSES, "[1,2]").message());
        assertEquals("The request body is empty; send a JSON object.", refusal(ApiRoute.RESPONSES, "").message());
        assertEquals("The request body is not valid JSON: Unexpected end-of-input within/between Object entries",
            refusal(ApiRoute.RESPONSES, "{\"model\":").message());
    }

    @Test
    void asksForStreamUsageOnTheConsumersBehalfAndRemembersTheyDidNot() {
        ParsedRequest parsed = parse(ApiRoute.CHAT_COMPLETIONS,
            "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":false,\"include_obfuscation\":false}}");
        assertEquals(new ParsedRequest(ApiRoute.CHAT_COMPLETIONS, "gpt", true, false, null,
            "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false}}", null), parsed);
    }

    @Test
    void readsWhatNamesTheConversationInEitherProtocol() {
        assertEquals("conv-7", parse(ApiRoute.CHAT_COMPLETIONS, "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}],\"user\":\"u-1\",\"prompt_cache_key\":\"conv-7\"}").conversationHint());
        assertEquals("u-1", parse(ApiRoute.RESPONSES, "{\"model\":\"gpt\",\"input\":\"hi\",\"user\":\"u-1\"}")
            .conversationHint());
        assertEquals("alice", parse(ApiRoute.MESSAGES, "{\"model\":\"claude\",\"max_tokens\":5,\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"hi\"}],\"metadata\":{\"user_id\":\"alice\"}}").conversationHint());
        assertEquals(null, parse(ApiRoute.MESSAGES, "{\"model\":\"claude\",\"max_tokens\":5,\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"hi\"}],\"metadata\":{\"user_id\":7}}").conversationHint());
    }
}
