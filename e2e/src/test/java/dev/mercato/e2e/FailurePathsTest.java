package dev.mercato.e2e;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.mercato.agent.AgentStats;
import dev.mercato.agent.NodeAgent;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.protocol.Protocol;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the consumer and the agent see when a stream is cut short from either end. */
class FailurePathsTest {

    /** A slow stream: 400 tokens at 40 per second, long enough to interrupt. */
    private static final SimulatorSettings SLOW = new SimulatorSettings(0, 40, 400, 0, 0.0, null, 1, null, 8192);

    private static Marketplace market;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of());
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    @Test
    void anAgentDroppedMidStreamEndsTheAnthropicStreamWithAnErrorEventNotAHang() {
        NodeAgent agent = market.startAgent("drop-a", SLOW, 4,
            List.of(new ModelConfig("claude-drop", Protocol.ANTHROPIC, null, null)));
        Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = market.anthropic().messages().createStreaming(
                MessageCreateParams.builder().model("claude-drop").maxTokens(1000).addUserMessage("long story").build())) {
                Iterator<RawMessageStreamEvent> events = stream.stream().iterator();
                for (int i = 0; i < 5; i++) {
                    events.next();
                }
                agent.dropConnections();
                return assertThrows(RuntimeException.class, () -> events.forEachRemaining(event -> { }));
            }
        });
        assertTrue(String.valueOf(failure.getMessage()).contains("dropped"), String.valueOf(failure));
    }

    @Test
    void anAgentDroppedMidStreamEndsTheChatStreamWithAnErrorObject() {
        NodeAgent agent = market.startAgent("drop-o", SLOW, 4,
            List.of(new ModelConfig("gpt-drop", Protocol.OPENAI, null, null)));
        Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
            try (var stream = market.openAi().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("gpt-drop").addUserMessage("long story").build())) {
                Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
                for (int i = 0; i < 5; i++) {
                    chunks.next();
                }
                agent.dropConnections();
                return assertThrows(RuntimeException.class, () -> chunks.forEachRemaining(chunk -> { }));
            }
        });
        assertTrue(String.valueOf(failure.getMessage()).contains("dropped"), String.valueOf(failure));
    }

    @Test
    void aConsumerWhoHangsUpCancelsTheAgentsUpstreamCallWithinASecond() throws Exception {
        NodeAgent agent = market.startAgent("hangup", SLOW, 4,
            List.of(new ModelConfig("claude-hangup", Protocol.ANTHROPIC, null, null)));
        try (StreamResponse<RawMessageStreamEvent> stream = market.anthropic().messages().createStreaming(
            MessageCreateParams.builder().model("claude-hangup").maxTokens(1000).addUserMessage("long story").build())) {
            Iterator<RawMessageStreamEvent> events = stream.stream().iterator();
            for (int i = 0; i < 5; i++) {
                events.next();
            }
            assertEquals(1, agent.stats().inFlight());
        }
        long deadlineNanos = System.nanoTime() + 1_000_000_000L;
        AgentStats stats = agent.stats();
        while (stats.cancelled() == 0 && System.nanoTime() < deadlineNanos) {
            Thread.sleep(10);
            stats = agent.stats();
        }
        assertEquals(new AgentStats(0, 0, 0, 1), stats);
    }
}
