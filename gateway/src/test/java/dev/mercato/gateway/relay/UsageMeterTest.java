package dev.mercato.gateway.relay;

import dev.mercato.protocol.TokenUsage;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageMeterTest {

    private final JsonMapper json = JsonMapper.createDefault();

    @Test
    void readsAnthropicStreamUsageFromMessageStartAndTheCumulativeDelta() {
        UsageMeter meter = new UsageMeter(json, ApiRoute.MESSAGES);
        meter.onStreamEvent("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
            + "\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,"
            + "\"output_tokens\":1}}}\n\n");
        meter.onStreamEvent("event: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n");
        meter.onStreamEvent("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            + "\"end_turn\"},\"usage\":{\"output_tokens\":57}}\n\n");
        assertEquals(new TokenUsage(12, 57, 100, 2000, 0), meter.usage());
    }

    @Test
    void takesOpenAiCachedTokensOutOfThePromptSoTheyAreCountedOnce() {
        UsageMeter meter = new UsageMeter(json, ApiRoute.CHAT_COMPLETIONS);
        boolean usageChunk = meter.onStreamEvent("data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":1500,"
            + "\"completion_tokens\":300,\"total_tokens\":1800,\"prompt_tokens_details\":{\"cached_tokens\":1024},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":200}}}\n\n");
        assertTrue(usageChunk);
        assertEquals(new TokenUsage(476, 300, 0, 1024, 200), meter.usage());
    }

    @Test
    void aChunkWithChoicesIsNotTheUsageChunkEvenWithANullUsage() {
        UsageMeter meter = new UsageMeter(json, ApiRoute.CHAT_COMPLETIONS);
        assertFalse(meter.onStreamEvent("data: {\"choices\":[{\"index\":0,\"delta\":{}}],\"usage\":null}\n\n"));
        assertFalse(meter.seen());
    }

    @Test
    void readsResponsesUsageFromResponseCompleted() {
        UsageMeter meter = new UsageMeter(json, ApiRoute.RESPONSES);
        meter.onStreamEvent("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":9,"
            + "\"response\":{\"usage\":{\"input_tokens\":40,\"input_tokens_details\":{\"cached_tokens\":8},"
            + "\"output_tokens\":20,\"output_tokens_details\":{\"reasoning_tokens\":5},\"total_tokens\":60}}}\n\n");
        assertEquals(new TokenUsage(32, 20, 0, 8, 5), meter.usage());
    }

    @Test
    void readsTheUsageOfNonStreamingBodies() {
        UsageMeter anthropic = new UsageMeter(json, ApiRoute.MESSAGES);
        anthropic.onBody("{\"id\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4,"
            + "\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":6}}");
        assertEquals(new TokenUsage(3, 4, 5, 6, 0), anthropic.usage());

        UsageMeter chat = new UsageMeter(json, ApiRoute.CHAT_COMPLETIONS);
        chat.onBody("{\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":4}}}");
        assertEquals(new TokenUsage(6, 2, 0, 4, 0), chat.usage());
    }

    @Test
    void ignoresWhatItCannotParseAndNegativeCounts() {
        UsageMeter meter = new UsageMeter(json, ApiRoute.MESSAGES);
        meter.onStreamEvent("event: x\ndata: {\"usage\": broken\n\n");
        meter.onBody("{\"usage\":{\"input_tokens\":-5,\"output_tokens\":\"7\"}}");
        assertEquals(TokenUsage.ZERO, meter.usage());
    }

    @Test
    void writesTheCostIntoTheLastUsageObject() {
        assertEquals("{\"id\":\"m\",\"usage\":{\"cost\":\"0.000606\",\"input_tokens\":2}}",
            UsageMeter.withCost("{\"id\":\"m\",\"usage\":{\"input_tokens\":2}}", "0.000606"));
        assertEquals("data: {\"choices\":[],\"usage\":{\"cost\":\"1.5\"}}\n\n",
            UsageMeter.withCost("data: {\"choices\":[],\"usage\":{}}\n\n", "1.5"));
        // A prompt that quotes the word is escaped inside its string and never mistaken for the object.
        assertEquals("{\"text\":\"say \\\"usage\\\":{ now\",\"usage\":{\"cost\":\"0\",\"output_tokens\":1}}",
            UsageMeter.withCost("{\"text\":\"say \\\"usage\\\":{ now\",\"usage\":{\"output_tokens\":1}}", "0"));
        assertEquals("{\"no\":1}", UsageMeter.withCost("{\"no\":1}", "2"));
    }
}
