package dev.mercato.simulator;

import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import dev.mercato.protocol.TokenUsage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official SDKs' own model classes parse and validate every kind of answer the simulator
 * gives, and the usage they read equals the plan's usage: the proof that the bytes are right.
 */
class OfficialSdkModelsTest {

    private static final JsonMapper ANTHROPIC_JSON = com.anthropic.core.ObjectMappers.jsonMapper();
    private static final JsonMapper OPENAI_JSON = com.openai.core.ObjectMappers.jsonMapper();

    private static final String WEATHER_SCHEMA = """
        {"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius",\
        "fahrenheit"]},"days":{"type":"integer"}},"required":["city"]}""";

    private static final String WEATHER_ARGUMENTS = "{\"city\":\"simulated\",\"unit\":\"celsius\",\"days\":1}";

    private static final String ANTHROPIC_TOOLS_AND_THINKING = """
        {"model":"claude-sim","max_tokens":256,"stream":%s,"thinking":{"type":"enabled","budget_tokens":1024},\
        "tools":[{"name":"get_weather","description":"Weather","input_schema":%s}],\
        "messages":[{"role":"user","content":"Weather in Paris?"}]}""";

    private static final String CHAT_TOOLS_AND_REASONING = """
        {"model":"gpt-sim","stream":%s,"stream_options":{"include_usage":true},"reasoning_effort":"low",\
        "tools":[{"type":"function","function":{"name":"get_weather","parameters":%s}}],\
        "messages":[{"role":"user","content":"Weather in Paris?"}]}""";

    private static final String RESPONSES_TOOLS_AND_REASONING = """
        {"model":"gpt-sim","stream":%s,"reasoning":{"effort":"low"},"instructions":"Be brief.",\
        "tools":[{"type":"function","name":"get_weather","parameters":%s,"strict":false}],\
        "input":[{"role":"user","content":"Weather in Paris?"}]}""";

    private final Simulator simulator = Requests.simulator(SimulatorSettings.defaults().withCacheReadTokens(100));

    @Test
    void anthropicSdkValidatesTheTextMessageAndReadsThePlannedUsage() throws Exception {
        SimulatedResponse response = Requests.anthropic(simulator, Requests.ANTHROPIC);

        Message message = ANTHROPIC_JSON.readValue(response.body(), Message.class).validate();

        assertEquals("Simulated answer from claude-sim (24 tokens): lorem ipsum dolor sit amet consectetur adipiscing"
            + " elit sed do eiusmod tempor incididunt ut labore et dolore magna", message.content().getFirst().asText()
            .text());
        assertEquals(StopReason.END_TURN, message.stopReason().orElseThrow());
        assertEquals(response.usage(), anthropicUsage(message));
        assertEquals(new TokenUsage(2, 24, 0, 100, 0), response.usage());
    }

    @Test
    void anthropicSdkAccumulatesTheTextStreamIntoTheSameMessage() throws Exception {
        SimulatedResponse response = Requests.anthropic(simulator, Requests.ANTHROPIC_STREAM);

        Message message = accumulateAnthropic(response);

        String whole = Requests.anthropic(simulator, Requests.ANTHROPIC).body().replace("00000002", "00000001");
        assertEquals(ANTHROPIC_JSON.readTree(whole), ANTHROPIC_JSON.readTree(ANTHROPIC_JSON.writeValueAsString(message)));
        assertEquals(response.usage(), anthropicUsage(message));
    }

    @Test
    void anthropicSdkValidatesThinkingThenToolUseInBothModes() throws Exception {
        SimulatedResponse whole = Requests.anthropic(simulator,
            ANTHROPIC_TOOLS_AND_THINKING.formatted("false", WEATHER_SCHEMA));
        SimulatedResponse streamed = Requests.anthropic(simulator,
            ANTHROPIC_TOOLS_AND_THINKING.formatted("true", WEATHER_SCHEMA));

        for (Message message : List.of(ANTHROPIC_JSON.readValue(whole.body(), Message.class).validate(),
            accumulateAnthropic(streamed))) {
            assertEquals(2, message.content().size());
            assertEquals("Simulated thinking about how to answer this request.",
                message.content().get(0).asThinking().thinking());
            assertTrue(message.content().get(0).asThinking().signature().length() > 0);
            assertEquals("get_weather", message.content().get(1).asToolUse().name());
            assertEquals(WEATHER_ARGUMENTS, ANTHROPIC_JSON.writeValueAsString(message.content().get(1).asToolUse()
                ._input()));
            assertEquals(StopReason.TOOL_USE, message.stopReason().orElseThrow());
        }
        // "Weather in Paris?" is 17 bytes, 5 tokens; 8 thinking tokens, then 46 characters of arguments in pieces of 4.
        assertEquals(new TokenUsage(5, 8 + 12, 0, 100, 0), whole.usage());
        assertEquals(whole.usage(), streamed.usage());
        assertEquals(whole.usage(), anthropicUsage(accumulateAnthropic(streamed)));
    }

    @Test
    void openAiSdkValidatesTheChatCompletionAndReadsCachedTokensInsidePromptTokens() throws Exception {
        SimulatedResponse response = Requests.chat(simulator, Requests.CHAT);

        ChatCompletion completion = OPENAI_JSON.readValue(response.body(), ChatCompletion.class).validate();

        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().getFirst().finishReason());
        assertEquals(102, completion.usage().orElseThrow().promptTokens());
        assertEquals(response.usage(), chatUsage(completion));
    }

    @Test
    void openAiSdkAccumulatesTheChatStreamIntoTheSameCompletion() throws Exception {
        SimulatedResponse whole = Requests.chat(simulator, Requests.CHAT);
        SimulatedResponse streamed = Requests.chat(simulator, Requests.CHAT_STREAM_WITH_USAGE);

        ChatCompletion completion = accumulateChat(streamed);

        assertEquals(OPENAI_JSON.readValue(whole.body(), ChatCompletion.class).choices().getFirst().message()
            .content(), completion.choices().getFirst().message().content());
        assertEquals(streamed.usage(), chatUsage(completion));
    }

    @Test
    void openAiSdkValidatesChatToolCallsAndReasoningTokensInBothModes() throws Exception {
        SimulatedResponse whole = Requests.chat(simulator, CHAT_TOOLS_AND_REASONING.formatted("false", WEATHER_SCHEMA));
        SimulatedResponse streamed = Requests.chat(simulator,
            CHAT_TOOLS_AND_REASONING.formatted("true", WEATHER_SCHEMA));

        for (ChatCompletion completion : List.of(OPENAI_JSON.readValue(whole.body(), ChatCompletion.class).validate(),
            accumulateChat(streamed))) {
            ChatCompletion.Choice choice = completion.choices().getFirst();
            assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
            var function = choice.message().toolCalls().orElseThrow().getFirst().asFunction().function();
            assertEquals("get_weather", function.name());
            assertEquals(WEATHER_ARGUMENTS, function.arguments());
            assertEquals(8, completion.usage().orElseThrow().completionTokensDetails().orElseThrow()
                .reasoningTokens().orElseThrow());
        }
        assertEquals(new TokenUsage(5, 8 + 12, 0, 100, 8), whole.usage());
        assertEquals(whole.usage(), chatUsage(accumulateChat(streamed)));
    }

    @Test
    void openAiSdkValidatesTheResponseAndItsStream() throws Exception {
        SimulatedResponse whole = Requests.responses(simulator, Requests.RESPONSES);
        SimulatedResponse streamed = Requests.responses(simulator, Requests.RESPONSES_STREAM);

        for (Response response : List.of(OPENAI_JSON.readValue(whole.body(), Response.class).validate(),
            accumulateResponses(streamed))) {
            assertEquals(ResponseStatus.COMPLETED, response.status().orElseThrow());
            assertEquals("Simulated answer from gpt-sim (24 tokens): lorem ipsum dolor sit amet consectetur adipiscing"
                + " elit sed do eiusmod tempor incididunt ut labore et dolore magna",
                response.output().getFirst().asMessage().content().getFirst().asOutputText().text());
            assertEquals(whole.usage(), responsesUsage(response));
        }
        assertEquals(whole.usage(), streamed.usage());
    }

    @Test
    void openAiSdkValidatesResponsesFunctionCallsAfterAReasoningItem() throws Exception {
        SimulatedResponse whole = Requests.responses(simulator,
            RESPONSES_TOOLS_AND_REASONING.formatted("false", WEATHER_SCHEMA));
        SimulatedResponse streamed = Requests.responses(simulator,
            RESPONSES_TOOLS_AND_REASONING.formatted("true", WEATHER_SCHEMA));

        for (Response response : List.of(OPENAI_JSON.readValue(whole.body(), Response.class).validate(),
            accumulateResponses(streamed))) {
            assertEquals(2, response.output().size());
            assertTrue(response.output().get(0).isReasoning());
            var call = response.output().get(1).asFunctionCall();
            assertEquals("get_weather", call.name());
            assertEquals(WEATHER_ARGUMENTS, call.arguments());
            assertEquals("get_weather", response.tools().getFirst().asFunction().name());
            assertEquals(8, response.usage().orElseThrow().outputTokensDetails().reasoningTokens());
        }
        // "Be brief.\nWeather in Paris?" is 27 bytes, 7 tokens.
        assertEquals(new TokenUsage(7, 8 + 12, 0, 100, 8), whole.usage());
        assertEquals(whole.usage(), responsesUsage(accumulateResponses(streamed)));
    }

    @Test
    void answersCutByTheRequestCapReportTheirTruncation() throws Exception {
        String anthropic = """
            {"model":"claude-sim","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""";
        String chat = """
            {"model":"gpt-sim","max_completion_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""";
        String responses = """
            {"model":"gpt-sim","max_output_tokens":16,"input":"Hi [[sim:tokens=40]]"}""";

        Message message = ANTHROPIC_JSON.readValue(Requests.anthropic(simulator, anthropic).body(), Message.class)
            .validate();
        ChatCompletion completion = OPENAI_JSON.readValue(Requests.chat(simulator, chat).body(), ChatCompletion.class)
            .validate();
        SimulatedResponse cut = Requests.responses(simulator, responses);
        Response response = OPENAI_JSON.readValue(cut.body(), Response.class).validate();

        assertEquals(StopReason.MAX_TOKENS, message.stopReason().orElseThrow());
        assertEquals(5, message.usage().outputTokens());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, completion.choices().getFirst().finishReason());
        assertEquals(5, completion.usage().orElseThrow().completionTokens());
        assertEquals(ResponseStatus.INCOMPLETE, response.status().orElseThrow());
        assertEquals(Response.IncompleteDetails.Reason.MAX_OUTPUT_TOKENS,
            response.incompleteDetails().orElseThrow().reason().orElseThrow());
        assertEquals(16, cut.usage().outputTokens());
        SimulatedResponse cutStream = Requests.responses(simulator, responses.replace("{\"model\"",
            "{\"stream\":true,\"model\""));
        assertTrue(cutStream.parts().getLast().data().startsWith("event: response.incomplete\n"));
        assertEquals(ResponseStatus.INCOMPLETE, accumulateResponses(cutStream).status().orElseThrow());
    }

    private static Message accumulateAnthropic(SimulatedResponse response) throws Exception {
        MessageAccumulator accumulator = MessageAccumulator.create();
        for (String data : dataOf(response)) {
            accumulator.accumulate(ANTHROPIC_JSON.readValue(data, RawMessageStreamEvent.class).validate());
        }
        return accumulator.message().validate();
    }

    private static ChatCompletion accumulateChat(SimulatedResponse response) throws Exception {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<String> data = dataOf(response);
        assertEquals("[DONE]", data.getLast());
        for (String chunk : data.subList(0, data.size() - 1)) {
            accumulator.accumulate(OPENAI_JSON.readValue(chunk, ChatCompletionChunk.class).validate());
        }
        return accumulator.chatCompletion().validate();
    }

    private static Response accumulateResponses(SimulatedResponse response) throws Exception {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        for (String data : dataOf(response)) {
            accumulator.accumulate(OPENAI_JSON.readValue(data, ResponseStreamEvent.class).validate());
        }
        return accumulator.response().validate();
    }

    /** The data of every event but Anthropic's pings, which the SDKs skip by their event name. */
    private static List<String> dataOf(SimulatedResponse response) {
        List<String> data = new ArrayList<>();
        for (Part part : response.parts()) {
            assertTrue(part.data().endsWith("\n\n"), "every part is one whole event: " + part.data());
            if (part.data().startsWith("event: ping\n")) {
                continue;
            }
            int start = part.data().indexOf("data: ") + "data: ".length();
            data.add(part.data().substring(start, part.data().length() - 2));
        }
        return data;
    }

    private static TokenUsage anthropicUsage(Message message) {
        var usage = message.usage();
        return new TokenUsage(usage.inputTokens(), usage.outputTokens(),
            usage.cacheCreationInputTokens().orElseThrow(), usage.cacheReadInputTokens().orElseThrow(), 0);
    }

    private static TokenUsage chatUsage(ChatCompletion completion) {
        var usage = completion.usage().orElseThrow();
        long cached = usage.promptTokensDetails().orElseThrow().cachedTokens().orElseThrow();
        return new TokenUsage(usage.promptTokens() - cached, usage.completionTokens(), 0, cached,
            usage.completionTokensDetails().orElseThrow().reasoningTokens().orElseThrow());
    }

    private static TokenUsage responsesUsage(Response response) {
        var usage = response.usage().orElseThrow();
        long cached = usage.inputTokensDetails().cachedTokens();
        return new TokenUsage(usage.inputTokens() - cached, usage.outputTokens(), 0, cached,
            usage.outputTokensDetails().reasoningTokens());
    }
}
