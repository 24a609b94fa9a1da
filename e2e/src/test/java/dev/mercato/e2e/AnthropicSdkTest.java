package dev.mercato.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.models.ModelInfo;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official Anthropic SDK against Mercato, changing nothing but the base URL and key. */
class AnthropicSdkTest {

    private static Marketplace market;
    private static AnthropicClient client;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of());
        market.startSimulatedAgent(SimulatorSettings.defaults());
        client = market.anthropic();
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    private static MessageCreateParams.Builder ask(String prompt) {
        return MessageCreateParams.builder().model(Marketplace.CLAUDE).maxTokens(256).addUserMessage(prompt);
    }

    @Test
    void answersAMessage() {
        Message message = client.messages().create(ask("Say hello").build());
        assertEquals(Marketplace.CLAUDE, message.model().asString());
        assertEquals(StopReason.END_TURN, message.stopReason().orElseThrow());
        String text = message.content().getFirst().text().orElseThrow().text();
        assertTrue(text.startsWith("Simulated answer from " + Marketplace.CLAUDE), text);
        assertEquals(SimulatorSettings.defaults().outputTokens(), message.usage().outputTokens());
        assertTrue(message.usage().inputTokens() > 0);
    }

    @Test
    void streamsTheSameAnswerEventByEvent() {
        Message whole = client.messages().create(ask("Stream me").build());
        StringBuilder streamed = new StringBuilder();
        long outputTokens = -1;
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ask("Stream me").build())) {
            for (RawMessageStreamEvent event : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                event.contentBlockDelta().flatMap(delta -> delta.delta().text())
                    .ifPresent(text -> streamed.append(text.text()));
                if (event.isMessageDelta()) {
                    outputTokens = event.asMessageDelta().usage().outputTokens();
                }
            }
        }
        assertEquals(whole.content().getFirst().text().orElseThrow().text(), streamed.toString());
        assertEquals(whole.usage().outputTokens(), outputTokens);
    }

    @Test
    void keepsThinkingBlocksIntact() {
        Message message = client.messages().create(ask("Think first").maxTokens(2048).enabledThinking(1024).build());
        List<ContentBlock> blocks = message.content();
        assertTrue(blocks.get(0).isThinking(), "first block: " + blocks.get(0));
        assertTrue(!blocks.get(0).asThinking().thinking().isEmpty());
        assertTrue(!blocks.get(0).asThinking().signature().isEmpty());
        assertTrue(blocks.get(1).isText());
    }

    @Test
    void keepsToolUseIntactStreamingAndNot() throws Exception {
        Tool weather = Tool.builder().name("get_weather").description("Weather for a city")
            .inputSchema(Tool.InputSchema.builder().properties(Tool.InputSchema.Properties.builder()
                .putAdditionalProperty("city", JsonValue.from(Map.of("type", "string"))).build())
                .addRequired("city").build())
            .build();
        Message message = client.messages().create(ask("Weather in Paris?").addTool(weather).build());
        assertEquals(StopReason.TOOL_USE, message.stopReason().orElseThrow());
        ContentBlock toolUse = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
        assertEquals("get_weather", toolUse.asToolUse().name());

        StringBuilder partialJson = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
            ask("Weather in Paris?").addTool(weather).build())) {
            stream.stream().forEach(event -> event.contentBlockDelta().flatMap(d -> d.delta().inputJson())
                .ifPresent(json -> partialJson.append(json.partialJson())));
        }
        var mapper = com.anthropic.core.ObjectMappers.jsonMapper();
        assertEquals(mapper.readValue(mapper.writeValueAsString(toolUse.asToolUse()._input()), Map.class),
            mapper.readValue(partialJson.toString(), Map.class));
    }

    @Test
    void countsTokensFreeOfCharge() {
        long inputTokens = client.messages().countTokens(MessageCountTokensParams.builder().model(Marketplace.CLAUDE)
            .addUserMessage("How many tokens is this?").build()).inputTokens();
        Message message = client.messages().create(ask("How many tokens is this?").build());
        assertEquals(message.usage().inputTokens(), inputTokens);
    }

    @Test
    void listsTheModelsOnlineInTheAnthropicShape() {
        List<String> ids = client.models().list().autoPager().stream().map(ModelInfo::id).collect(Collectors.toList());
        assertEquals(List.of(Marketplace.CLAUDE, Marketplace.GPT), ids);
    }

    @Test
    void namesTheServingNodeAndTheRequest() {
        var response = client.messages().withRawResponse().create(ask("Who served me?").build());
        assertTrue(response.headers().values("x-mercato-node").getFirst().startsWith("acme/node-"));
        assertTrue(response.headers().values("request-id").getFirst().startsWith("req_"));
        assertEquals(response.headers().values("request-id"), response.headers().values("x-request-id"));
        assertTrue(response.parse().content().getFirst().isText());
    }
}
