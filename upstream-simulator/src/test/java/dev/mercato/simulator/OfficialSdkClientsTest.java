package dev.mercato.simulator;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The official SDK clients, pointed at the simulator server, work with only the base URL and key changed. */
class OfficialSdkClientsTest {

    private static final String KEY = "sk-sim-test";
    private static final String TEXT = "Simulated answer from %s (24 tokens): lorem ipsum dolor sit amet consectetur"
        + " adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna";

    private static SimulatorServer server;
    private static AnthropicClient anthropic;
    private static OpenAIClient openAi;

    @BeforeAll
    static void startServerAndClients() {
        server = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults().withRequiredApiKey(KEY)
            .withCacheReadTokens(10));
        anthropic = AnthropicOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(KEY)
            .maxRetries(0).responseValidation(true).build();
        openAi = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey(KEY)
            .maxRetries(0).responseValidation(true).build();
    }

    @AfterAll
    static void stopServerAndClients() {
        anthropic.close();
        openAi.close();
        server.close();
    }

    @Test
    void anthropicClientCreatesStreamsAndCountsTokens() {
        MessageCreateParams params = MessageCreateParams.builder().model("claude-sim").maxTokens(64)
            .addUserMessage("Hi there").build();

        Message message = anthropic.messages().create(params);
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (var stream = anthropic.messages().createStreaming(params)) {
            stream.stream().forEach((RawMessageStreamEvent event) -> accumulator.accumulate(event));
        }
        long counted = anthropic.messages().countTokens(MessageCountTokensParams.builder().model("claude-sim")
            .addUserMessage("Hi there").build()).inputTokens();

        for (Message answer : new Message[] {message, accumulator.message()}) {
            assertEquals(TEXT.formatted("claude-sim"), answer.content().getFirst().asText().text());
            assertEquals(2, answer.usage().inputTokens());
            assertEquals(10, answer.usage().cacheReadInputTokens().orElseThrow());
            assertEquals(24, answer.usage().outputTokens());
        }
        assertEquals(12, counted);
    }

    @Test
    void anthropicClientSeesAnInjectedOverloadAsA529() {
        MessageCreateParams params = MessageCreateParams.builder().model("claude-sim").maxTokens(64)
            .addUserMessage("Hi [[sim:fail=overloaded]]").build();

        AnthropicServiceException overloaded = assertThrows(AnthropicServiceException.class,
            () -> anthropic.messages().create(params));

        assertEquals(529, overloaded.statusCode());
    }

    @Test
    void openAiClientCreatesAndStreamsChatCompletions() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-sim")
            .addUserMessage("Hi there").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build();

        ChatCompletion completion = openAi.chat().completions().create(params.toBuilder().streamOptions(
            java.util.Optional.empty()).build());
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (var stream = openAi.chat().completions().createStreaming(params)) {
            stream.stream().forEach((ChatCompletionChunk chunk) -> accumulator.accumulate(chunk));
        }

        for (ChatCompletion answer : new ChatCompletion[] {completion, accumulator.chatCompletion()}) {
            assertEquals(TEXT.formatted("gpt-sim"), answer.choices().getFirst().message().content().orElseThrow());
            assertEquals(12, answer.usage().orElseThrow().promptTokens());
            assertEquals(10, answer.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()
                .orElseThrow());
            assertEquals(24, answer.usage().orElseThrow().completionTokens());
        }
    }

    @Test
    void openAiClientCreatesAndStreamsResponses() {
        ResponseCreateParams params = ResponseCreateParams.builder().model("gpt-sim").input("Hi there").build();

        Response response = openAi.responses().create(params);
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (var stream = openAi.responses().createStreaming(params)) {
            stream.stream().forEach((ResponseStreamEvent event) -> accumulator.accumulate(event));
        }

        for (Response answer : new Response[] {response, accumulator.response()}) {
            assertEquals(TEXT.formatted("gpt-sim"),
                answer.output().getFirst().asMessage().content().getFirst().asOutputText().text());
            assertEquals(12, answer.usage().orElseThrow().inputTokens());
            assertEquals(24, answer.usage().orElseThrow().outputTokens());
        }
    }

    @Test
    void openAiClientSeesAnInjectedRateLimitWithItsRetryAfter() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-sim")
            .addUserMessage("Hi [[sim:fail=rate_limited]]").build();

        RateLimitException limited = assertThrows(RateLimitException.class,
            () -> openAi.chat().completions().create(params));

        assertEquals(429, limited.statusCode());
        assertEquals(java.util.List.of("1"), limited.headers().values("retry-after"));
    }

    @Test
    void openAiClientWithAWrongKeyIsUnauthorized() {
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1")
            .apiKey("sk-wrong").maxRetries(0).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-sim")
            .addUserMessage("Hi").build();
        try {
            UnauthorizedException refused = assertThrows(UnauthorizedException.class,
                () -> wrongKey.chat().completions().create(params));

            assertEquals(401, refused.statusCode());
        } finally {
            wrongKey.close();
        }
    }
}
