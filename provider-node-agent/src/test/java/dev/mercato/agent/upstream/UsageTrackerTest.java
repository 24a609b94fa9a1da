package dev.mercato.agent.upstream;

import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.TokenUsage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class UsageTrackerTest {

    @Test
    void takesAnthropicInputFromMessageStartAndFinalOutputFromMessageDelta() {
        UsageTracker tracker = UsageTracker.forContentType("text/event-stream; charset=utf-8");

        tracker.accept("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
            + "\"content\":[],\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":7,"
            + "\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n");
        tracker.accept("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"the \\\"usage\\\" of words\"}}\n\n");
        tracker.accept("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            + "\"end_turn\"},\"usage\":{\"output_tokens\":42}}\n\n");

        assertEquals(new TokenUsage(25, 42, 7, 100, 0), tracker.finish(Protocol.ANTHROPIC));
    }

    @Test
    void subtractsOpenAiCachedTokensFromPromptTokens() {
        UsageTracker tracker = UsageTracker.forContentType("text/event-stream");

        tracker.accept("data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n");
        tracker.accept("data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":1200,"
            + "\"completion_tokens\":80,\"total_tokens\":1280,\"prompt_tokens_details\":{\"cached_tokens\":1024},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":30}}}\n\ndata: [DONE]\n\n");

        assertEquals(new TokenUsage(176, 80, 0, 1024, 30), tracker.finish(Protocol.OPENAI));
    }

    @Test
    void readsAUsageLineSplitAcrossChunks() {
        UsageTracker tracker = UsageTracker.forContentType("text/event-stream");

        tracker.accept("data: {\"choices\":[],\"usage\":{\"prompt_to");
        tracker.accept("kens\":10,\"completion_tokens\":");
        tracker.accept("5}}\n\ndata: [DONE]\n\n");

        assertEquals(new TokenUsage(10, 5, 0, 0, 0), tracker.finish(Protocol.OPENAI));
    }

    @Test
    void readsResponsesUsageFromResponseCompleted() {
        UsageTracker tracker = UsageTracker.forContentType("text/event-stream");

        tracker.accept("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
            + "\"response\":{\"id\":\"resp_1\",\"usage\":null}}\n\n");
        tracker.accept("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":9,"
            + "\"response\":{\"id\":\"resp_1\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":"
            + "\"output_text\",\"text\":\"x\"}]}],\"usage\":{\"input_tokens\":300,\"input_tokens_details\":"
            + "{\"cached_tokens\":200},\"output_tokens\":50,\"output_tokens_details\":{\"reasoning_tokens\":20},"
            + "\"total_tokens\":350}}}\n\n");

        assertEquals(new TokenUsage(100, 50, 0, 200, 20), tracker.finish(Protocol.OPENAI));
    }

    @Test
    void readsTheUsageOfAWholeJsonBodyAndIgnoresUsageKeysInsideContent() {
        UsageTracker tracker = UsageTracker.forContentType("application/json");

        tracker.accept("{\"id\":\"msg_1\",\"content\":[{\"type\":\"tool_use\",\"input\":{\"usage\":"
            + "{\"input_tokens\":999}}}],");
        tracker.accept("\"usage\":{\"input_tokens\":12,\"output_tokens\":34,\"cache_read_input_tokens\":5}}");

        assertEquals(new TokenUsage(12, 34, 0, 5, 0), tracker.finish(Protocol.ANTHROPIC));
    }

    @Test
    void reportsNoUsageWhenTheBodyHasNone() {
        UsageTracker tracker = UsageTracker.forContentType("text/event-stream");

        tracker.accept("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n");

        assertNull(tracker.finish(Protocol.OPENAI));
    }
}
