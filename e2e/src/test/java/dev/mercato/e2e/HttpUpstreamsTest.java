package dev.mercato.e2e;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.config.UpstreamType;
import dev.mercato.protocol.Protocol;
import dev.mercato.simulator.SimulatorServer;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's real HTTP connectors, end to end: the SDKs call the gateway, the agent calls an
 * upstream over HTTP that accepts only the operator's key. Success proves the operator's key
 * went upstream and the consumer's did not.
 */
class HttpUpstreamsTest {

    private static final String OPERATOR_KEY = "sk-operator-only";

    private static SimulatorServer upstream;
    private static Marketplace market;

    @BeforeAll
    static void start() {
        upstream = SimulatorServer.start("127.0.0.1", 0, SimulatorSettings.defaults().withRequiredApiKey(OPERATOR_KEY));
        URI baseUrl = URI.create("http://127.0.0.1:" + upstream.port());
        market = Marketplace.start(Map.of());
        market.startAgent("http-op", 16, List.of(
            UpstreamConfig.http(UpstreamType.ANTHROPIC, baseUrl, OPERATOR_KEY,
                List.of(new ModelConfig("claude-http", Protocol.ANTHROPIC, "claude-upstream-name", null))),
            UpstreamConfig.http(UpstreamType.OPENAI, baseUrl, OPERATOR_KEY,
                List.of(ModelConfig.of("gpt-http", Protocol.OPENAI)))));
    }

    @AfterAll
    static void stop() {
        market.close();
        upstream.close();
    }

    @Test
    void servesAnthropicThroughTheAnthropicConnectorWithTheOperatorsKey() {
        MessageCreateParams params = MessageCreateParams.builder().model("claude-http").maxTokens(100)
            .addUserMessage("hello").build();
        Message message = market.anthropic().messages().create(params);
        // The connector renamed the model for the upstream; the answer names what the upstream was asked for.
        assertEquals("claude-upstream-name", message.model().asString());
        assertEquals(SimulatorSettings.defaults().outputTokens(), message.usage().outputTokens());

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = market.anthropic().messages().createStreaming(params)) {
            stream.stream().forEach(event -> event.contentBlockDelta().flatMap(d -> d.delta().text())
                .ifPresent(text -> streamed.append(text.text())));
        }
        assertEquals(message.content().getFirst().text().orElseThrow().text(), streamed.toString());
    }

    @Test
    void servesChatCompletionsAndResponsesThroughTheOpenAiConnector() {
        ChatCompletion completion = market.openAi().chat().completions().create(ChatCompletionCreateParams.builder()
            .model("gpt-http").addUserMessage("hello").build());
        assertTrue(completion.choices().getFirst().message().content().orElseThrow().startsWith("Simulated answer from gpt-http"));

        Response response = market.openAi().responses().create(ResponseCreateParams.builder().model("gpt-http")
            .input("hello").build());
        assertEquals(SimulatorSettings.defaults().outputTokens(), response.usage().orElseThrow().outputTokens());
    }
}
