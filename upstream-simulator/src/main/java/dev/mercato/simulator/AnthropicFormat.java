package dev.mercato.simulator;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;

/** Writes answers in the Anthropic Messages format: a message object, or its server-sent event stream. */
final class AnthropicFormat {

    private AnthropicFormat() {
    }

    /** The non-streaming body: the whole message. */
    static String message(Answer answer, Ids ids) {
        return Json.text(g -> {
            g.writeStartObject();
            messageHead(g, answer, ids);
            g.writeArrayFieldStart("content");
            if (!answer.thinkingTokens().isEmpty()) {
                thinkingBlock(g, answer.thinking(), answer.signature());
            }
            if (answer.toolCall() != null) {
                toolUseBlock(g, answer, ids, true);
            } else {
                textBlock(g, answer.text());
            }
            g.writeEndArray();
            g.writeStringField("stop_reason", stopReason(answer));
            g.writeNullField("stop_sequence");
            usage(g, answer, answer.outputTokens());
            g.writeEndObject();
        });
    }

    /**
     * The stream: {@code message_start}, then per block {@code content_block_start}, its deltas
     * and {@code content_block_stop} (with a {@code ping} after the first start, as the real API
     * sends), then {@code message_delta} with the cumulative usage and {@code message_stop}.
     */
    static void stream(Answer answer, Ids ids, Timeline timeline) {
        timeline.event(event("message_start", g -> {
            g.writeStartObject();
            g.writeStringField("type", "message_start");
            g.writeObjectFieldStart("message");
            messageHead(g, answer, ids);
            g.writeArrayFieldStart("content");
            g.writeEndArray();
            g.writeNullField("stop_reason");
            g.writeNullField("stop_sequence");
            usage(g, answer, Math.min(1, answer.outputTokens()));
            g.writeEndObject();
            g.writeEndObject();
        }));
        int index = 0;
        if (!answer.thinkingTokens().isEmpty()) {
            blockStart(timeline, index, g -> thinkingBlock(g, "", ""));
            ping(timeline, index);
            for (String token : answer.thinkingTokens()) {
                timeline.token(delta(index, "thinking_delta", "thinking", token));
            }
            timeline.event(delta(index, "signature_delta", "signature", answer.signature()));
            blockStop(timeline, index);
            index++;
        }
        if (answer.toolCall() != null) {
            blockStart(timeline, index, g -> toolUseBlock(g, answer, ids, false));
            ping(timeline, index);
            for (String token : answer.toolCall().argumentTokens()) {
                timeline.token(delta(index, "input_json_delta", "partial_json", token));
            }
        } else {
            blockStart(timeline, index, g -> textBlock(g, ""));
            ping(timeline, index);
            for (String token : answer.textTokens()) {
                timeline.token(delta(index, "text_delta", "text", token));
            }
        }
        blockStop(timeline, index);
        timeline.event(event("message_delta", g -> {
            g.writeStartObject();
            g.writeStringField("type", "message_delta");
            g.writeObjectFieldStart("delta");
            g.writeStringField("stop_reason", stopReason(answer));
            g.writeNullField("stop_sequence");
            g.writeEndObject();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", answer.inputTokens());
            g.writeNumberField("cache_creation_input_tokens", 0);
            g.writeNumberField("cache_read_input_tokens", answer.cacheReadTokens());
            g.writeNumberField("output_tokens", answer.outputTokens());
            g.writeEndObject();
            g.writeEndObject();
        }));
        timeline.event(event("message_stop", g -> {
            g.writeStartObject();
            g.writeStringField("type", "message_stop");
            g.writeEndObject();
        }));
    }

    /** The {@code count_tokens} body. */
    static String tokenCount(long inputTokens) {
        return Json.text(g -> {
            g.writeStartObject();
            g.writeNumberField("input_tokens", inputTokens);
            g.writeEndObject();
        });
    }

    private static String stopReason(Answer answer) {
        if (answer.truncated()) {
            return "max_tokens";
        }
        return answer.toolCall() != null ? "tool_use" : "end_turn";
    }

    private static void messageHead(JsonGenerator g, Answer answer, Ids ids) throws IOException {
        g.writeStringField("id", ids.anthropicMessage());
        g.writeStringField("type", "message");
        g.writeStringField("role", "assistant");
        g.writeStringField("model", answer.model());
    }

    private static void usage(JsonGenerator g, Answer answer, long outputTokens) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("input_tokens", answer.inputTokens());
        g.writeNumberField("cache_creation_input_tokens", 0);
        g.writeNumberField("cache_read_input_tokens", answer.cacheReadTokens());
        g.writeObjectFieldStart("cache_creation");
        g.writeNumberField("ephemeral_5m_input_tokens", 0);
        g.writeNumberField("ephemeral_1h_input_tokens", 0);
        g.writeEndObject();
        g.writeNumberField("output_tokens", outputTokens);
        g.writeStringField("service_tier", "standard");
        g.writeEndObject();
    }

    private static void thinkingBlock(JsonGenerator g, String thinking, String signature) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "thinking");
        g.writeStringField("thinking", thinking);
        g.writeStringField("signature", signature);
        g.writeEndObject();
    }

    private static void textBlock(JsonGenerator g, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "text");
        g.writeStringField("text", text);
        g.writeEndObject();
    }

    /** A tool_use block; a stream starts it with empty input and sends the arguments as deltas. */
    private static void toolUseBlock(JsonGenerator g, Answer answer, Ids ids, boolean withInput) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "tool_use");
        g.writeStringField("id", ids.anthropicToolUse());
        g.writeStringField("name", answer.toolCall().name());
        g.writeFieldName("input");
        if (withInput) {
            g.writeRawValue(answer.toolCall().arguments());
        } else {
            g.writeStartObject();
            g.writeEndObject();
        }
        g.writeObjectFieldStart("caller");
        g.writeStringField("type", "direct");
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void blockStart(Timeline timeline, int index, Json.Writer block) {
        timeline.event(event("content_block_start", g -> {
            g.writeStartObject();
            g.writeStringField("type", "content_block_start");
            g.writeNumberField("index", index);
            g.writeFieldName("content_block");
            block.write(g);
            g.writeEndObject();
        }));
    }

    /** The real API pings once, right after the first block starts. */
    private static void ping(Timeline timeline, int index) {
        if (index == 0) {
            timeline.event("event: ping\ndata: {\"type\": \"ping\"}\n\n");
        }
    }

    private static void blockStop(Timeline timeline, int index) {
        timeline.event(event("content_block_stop", g -> {
            g.writeStartObject();
            g.writeStringField("type", "content_block_stop");
            g.writeNumberField("index", index);
            g.writeEndObject();
        }));
    }

    private static String delta(int index, String deltaType, String field, String value) {
        return event("content_block_delta", g -> {
            g.writeStartObject();
            g.writeStringField("type", "content_block_delta");
            g.writeNumberField("index", index);
            g.writeObjectFieldStart("delta");
            g.writeStringField("type", deltaType);
            g.writeStringField(field, value);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static String event(String name, Json.Writer data) {
        return "event: " + name + "\ndata: " + Json.text(data) + "\n\n";
    }
}
