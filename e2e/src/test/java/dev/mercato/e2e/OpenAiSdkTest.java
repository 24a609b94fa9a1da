package dev.mercato.e2e;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official OpenAI SDK against Mercato, changing nothing but the base URL and key. */
class OpenAiSdkTest {

    private static Marketplace market;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of());
        market.startSimulatedAgent(SimulatorSettings.defaults());
        client = market.openAi();
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    private static ChatCompletionCreateParams.Builder chat(String prompt) {
        return ChatCompletionCreateParams.builder().model(Marketplace.GPT).maxCompletionTokens(256).addUserMessage(prompt);
    }

    private static FunctionDefinition weatherFunction() {
        return FunctionDefinition.builder().name("get_weather").description("Weather for a city")
            .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string")))).build())
            .build();
    }

    @Test
    void answersAChatCompletion() {
        ChatCompletion completion = client.chat().completions().create(chat("Say hello").build());
        assertEquals(Marketplace.GPT, completion.model());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().getFirst().finishReason());
        String text = completion.choices().getFirst().message().content().orElseThrow();
        assertTrue(text.startsWith("Simulated answer from " + Marketplace.GPT), text);
        assertEquals(SimulatorSettings.defaults().outputTokens(), completion.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamsWithoutTheUsageChunkTheConsumerDidNotAskFor() {
        String whole = client.chat().completions().create(chat("Stream me").build()).choices().getFirst().message()
            .content().orElseThrow();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("Stream me").build())) {
            stream.stream().forEach(chunks::add);
        }
        String streamed = chunks.stream().flatMap(chunk -> chunk.choices().stream())
            .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
        assertEquals(whole, streamed);
        assertTrue(chunks.stream().allMatch(chunk -> !chunk.choices().isEmpty()), "a usage-only chunk leaked through");
        assertTrue(chunks.stream().allMatch(chunk -> chunk.usage().isEmpty()), "usage the consumer did not ask for");
    }

    @Test
    void streamsTheUsageChunkWhenAskedFor() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("Count me")
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        ChatCompletionChunk last = chunks.getLast();
        assertTrue(last.choices().isEmpty());
        assertEquals(SimulatorSettings.defaults().outputTokens(), last.usage().orElseThrow().completionTokens());
    }

    @Test
    void keepsToolCallsIntactStreamingAndNot() {
        ChatCompletion completion = client.chat().completions().create(chat("Weather in Paris?")
            .addFunctionTool(weatherFunction()).build());
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, completion.choices().getFirst().finishReason());
        var call = completion.choices().getFirst().message().toolCalls().orElseThrow().getFirst().asFunction();
        assertEquals("get_weather", call.function().name());

        StringBuilder arguments = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("Weather in Paris?")
            .addFunctionTool(weatherFunction()).build())) {
            stream.stream().flatMap(chunk -> chunk.choices().stream())
                .flatMap(choice -> choice.delta().toolCalls().orElse(List.of()).stream())
                .forEach(toolCall -> toolCall.function().flatMap(f -> f.arguments()).ifPresent(arguments::append));
        }
        assertEquals(call.function().arguments(), arguments.toString());
    }

    @Test
    void answersAResponse() {
        Response response = client.responses().create(ResponseCreateParams.builder().model(Marketplace.GPT)
            .input("Say hello").maxOutputTokens(256).build());
        assertEquals(ResponseStatus.COMPLETED, response.status().orElseThrow());
        String text = response.output().getFirst().asMessage().content().getFirst().asOutputText().text();
        assertTrue(text.startsWith("Simulated answer from " + Marketplace.GPT), text);
        assertEquals(SimulatorSettings.defaults().outputTokens(), response.usage().orElseThrow().outputTokens());
    }

    @Test
    void streamsAResponseInSequence() {
        StringBuilder text = new StringBuilder();
        List<Long> sequence = new ArrayList<>();
        Response completed = null;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ResponseCreateParams.builder()
            .model(Marketplace.GPT).input("Stream me").build())) {
            for (ResponseStreamEvent event : (Iterable<ResponseStreamEvent>) stream.stream()::iterator) {
                event.outputTextDelta().ifPresent(delta -> {
                    text.append(delta.delta());
                    sequence.add(delta.sequenceNumber());
                });
                if (event.isCompleted()) {
                    completed = event.asCompleted().response();
                }
            }
        }
        String whole = completed.output().getFirst().asMessage().content().getFirst().asOutputText().text();
        assertEquals(whole, text.toString());
        for (int i = 1; i < sequence.size(); i++) {
            assertEquals(sequence.get(i - 1) + 1, sequence.get(i));
        }
    }

    @Test
    void keepsResponsesFunctionCallsIntact() {
        Response response = client.responses().create(ResponseCreateParams.builder().model(Marketplace.GPT)
            .input("Weather in Paris?").addTool(FunctionTool.builder().name("get_weather").strict(false)
                .parameters(FunctionTool.Parameters.builder().putAdditionalProperty("type", JsonValue.from("object")).build())
                .build()).build());
        assertTrue(response.output().stream().anyMatch(item -> item.isFunctionCall()
            && item.asFunctionCall().name().equals("get_weather")), response.output().toString());
    }

    @Test
    void listsTheModelsOnlineInTheOpenAiShape() {
        List<String> ids = client.models().list().data().stream().map(Model::id).collect(Collectors.toList());
        assertEquals(List.of(Marketplace.CLAUDE, Marketplace.GPT), ids);
        Model gpt = client.models().retrieve(Marketplace.GPT);
        assertEquals(Marketplace.GPT, gpt.id());
        // Prices ride along as an extra field the SDK keeps but does not need: the default price here.
        assertEquals(JsonValue.from(Map.of("currency", "USDC", "unit", "1M tokens", "input", "3", "output", "15",
            "cache_write", "3.75", "cache_read", "0.3")), gpt._additionalProperties().get("pricing"));
    }
}
