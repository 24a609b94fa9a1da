package dev.mercato.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.ContentTooLargeException;
import com.anthropic.errors.ServiceUnavailableException;
import com.anthropic.models.messages.MessageCreateParams;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.errors.UnexpectedStatusCodeException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.mercato.agent.NodeAgent;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.protocol.Protocol;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Refusals reach the SDKs as their own typed exceptions, with the messages of errors.md. */
class SdkErrorsTest {

    private static final int BODY_LIMIT_BYTES = 64 * 1024;
    private static final String LONELY_MODEL = "claude-sim-lonely";
    private static final String LONELY_GPT = "gpt-sim-lonely";

    private static Marketplace market;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of("micronaut.server.max-request-size", BODY_LIMIT_BYTES));
        market.startSimulatedAgent(SimulatorSettings.defaults());
        // A model that was served once and whose only node has left: known, but nobody online.
        NodeAgent lonely = market.startAgent("solo", SimulatorSettings.defaults(), 2,
            List.of(new ModelConfig(LONELY_MODEL, Protocol.ANTHROPIC, null, null)));
        lonely.close();
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    private static ChatCompletionCreateParams chat(String model, String prompt) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(prompt).build();
    }

    private static MessageCreateParams message(String model, long maxTokens, String prompt) {
        return MessageCreateParams.builder().model(model).maxTokens(maxTokens).addUserMessage(prompt).build();
    }

    private static void assertOpenAiError(OpenAIServiceException e, int status, String code, String message) {
        assertEquals(status, e.statusCode());
        assertEquals(code, e.code().orElseThrow());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private static void assertAnthropicError(AnthropicServiceException e, int status, String message) {
        assertEquals(status, e.statusCode());
        assertEquals(message, e.apiMessage().orElseThrow());
        assertTrue(e.requestId().orElseThrow().startsWith("req_"));
    }

    @Test
    void anInvalidFieldIsA400NamingTheField() {
        OpenAIClient openAi = market.openAi();
        BadRequestException e = assertThrows(BadRequestException.class, () -> openAi.chat().completions()
            .create(ChatCompletionCreateParams.builder().model(Marketplace.GPT).addUserMessage("hi").maxTokens(0).build()));
        assertOpenAiError(e, 400, "invalid_request", "The 'max_tokens' field must be a positive integer.");
        assertEquals("max_tokens", e.param().orElseThrow());

        var anthropic = assertThrows(com.anthropic.errors.BadRequestException.class,
            () -> market.anthropic().messages().create(message(Marketplace.CLAUDE, 0, "hi")));
        assertAnthropicError(anthropic, 400, "The 'max_tokens' field must be a positive integer.");
    }

    @Test
    void aWrongKeyIsA401() {
        OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl(market.gateway.openAiBaseUrl())
            .apiKey("msk_" + "x".repeat(43)).maxRetries(0).build();
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
            () -> openAi.chat().completions().create(chat(Marketplace.GPT, "hi")));
        assertOpenAiError(e, 401, "invalid_api_key",
            "The API key is not valid: check that it was copied whole and has not been deleted.");

        AnthropicClient anthropic = AnthropicOkHttpClient.builder().baseUrl(market.gateway.baseUrl())
            .apiKey("not-a-mercato-key").maxRetries(0).build();
        var anthropicError = assertThrows(com.anthropic.errors.UnauthorizedException.class,
            () -> anthropic.messages().create(message(Marketplace.CLAUDE, 10, "hi")));
        assertAnthropicError(anthropicError, 401,
            "The API key is not valid: check that it was copied whole and has not been deleted.");
    }

    @Test
    void anUnknownModelIsA400ListingTheModelsOnline() {
        String expected = "The model 'gpt-nope' is not available. Models available now: " + Marketplace.CLAUDE + ", "
            + Marketplace.GPT + ".";
        BadRequestException e = assertThrows(BadRequestException.class,
            () -> market.openAi().chat().completions().create(chat("gpt-nope", "hi")));
        assertOpenAiError(e, 400, "model_not_available", expected);

        var anthropic = assertThrows(com.anthropic.errors.BadRequestException.class,
            () -> market.anthropic().messages().create(message("gpt-nope", 10, "hi")));
        assertAnthropicError(anthropic, 400, expected);
    }

    @Test
    void aBodyOverTheLimitIsA413() {
        String prompt = "x".repeat(BODY_LIMIT_BYTES + 1);
        String expected = "The request body exceeds the limit of " + BODY_LIMIT_BYTES + " bytes; shorten the prompt.";
        UnexpectedStatusCodeException e = assertThrows(UnexpectedStatusCodeException.class,
            () -> market.openAi().chat().completions().create(chat(Marketplace.GPT, prompt)));
        assertOpenAiError(e, 413, "request_too_large", expected);

        ContentTooLargeException anthropic = assertThrows(ContentTooLargeException.class,
            () -> market.anthropic().messages().create(message(Marketplace.CLAUDE, 10, prompt)));
        assertAnthropicError(anthropic, 413, expected);
    }

    @Test
    void aKnownModelWithNoNodeOnlineIsA503() {
        String expected = "No provider node serving model '" + LONELY_MODEL + "' is online right now; "
            + "try again in a few minutes.";
        ServiceUnavailableException anthropic = assertThrows(ServiceUnavailableException.class,
            () -> market.anthropic().messages().create(message(LONELY_MODEL, 10, "hi")));
        assertAnthropicError(anthropic, 503, expected);
        assertEquals("10", anthropic.headers().values("retry-after").getFirst());

        market.startAgent("solo-gpt", SimulatorSettings.defaults(), 2,
            List.of(new ModelConfig(LONELY_GPT, Protocol.OPENAI, null, null))).close();
        InternalServerException e = assertThrows(InternalServerException.class,
            () -> market.openAi().chat().completions().create(chat(LONELY_GPT, "hi")));
        assertOpenAiError(e, 503, "no_providers_online", "No provider node serving model '" + LONELY_GPT
            + "' is online right now; try again in a few minutes.");
    }

    @Test
    void aModelCalledOnTheOtherProtocolsRouteIsA400NamingTheRightRoute() {
        BadRequestException e = assertThrows(BadRequestException.class,
            () -> market.openAi().chat().completions().create(chat(Marketplace.CLAUDE, "hi")));
        assertOpenAiError(e, 400, "model_not_available", "The model '" + Marketplace.CLAUDE
            + "' is served over the anthropic API; call /v1/messages for it.");
    }
}
