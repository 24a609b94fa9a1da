package dev.mercato.simulator;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes answers in the OpenAI Responses format: a response object, or its event stream with
 * a {@code sequence_number} on every event. A reasoning request gets a reasoning item before
 * the message or function call, as reasoning models answer.
 */
final class ResponsesFormat {

    private ResponsesFormat() {
    }

    /** The non-streaming body. */
    static String response(Answer answer, Ask ask, Ids ids, long createdEpochSeconds) {
        return Json.text(g -> responseObject(g, answer, ask, ids, createdEpochSeconds, true));
    }

    /**
     * The stream: {@code response.created}, {@code response.in_progress}, then per output item
     * its {@code added} event, content or arguments deltas and {@code done} events, then
     * {@code response.completed} (or {@code response.incomplete} when the cap cut the answer).
     */
    static void stream(Answer answer, Ask ask, Ids ids, long createdEpochSeconds, Timeline timeline) {
        Sequence sequence = new Sequence(timeline);
        sequence.event("response.created", g -> {
            g.writeFieldName("response");
            responseObject(g, answer, ask, ids, createdEpochSeconds, false);
        });
        sequence.event("response.in_progress", g -> {
            g.writeFieldName("response");
            responseObject(g, answer, ask, ids, createdEpochSeconds, false);
        });
        int outputIndex = 0;
        if (answer.hiddenReasoningTokens() > 0) {
            int reasoningIndex = outputIndex;
            sequence.event("response.output_item.added", g -> {
                g.writeNumberField("output_index", reasoningIndex);
                g.writeFieldName("item");
                reasoningItem(g, ids);
            });
            sequence.event("response.output_item.done", g -> {
                g.writeNumberField("output_index", reasoningIndex);
                g.writeFieldName("item");
                reasoningItem(g, ids);
            });
            outputIndex++;
        }
        int index = outputIndex;
        if (answer.toolCall() != null) {
            sequence.event("response.output_item.added", g -> {
                g.writeNumberField("output_index", index);
                g.writeFieldName("item");
                functionCallItem(g, answer, ids, false);
            });
            for (String token : answer.toolCall().argumentTokens()) {
                sequence.token("response.function_call_arguments.delta", g -> {
                    g.writeStringField("item_id", ids.responseFunctionCall());
                    g.writeNumberField("output_index", index);
                    g.writeStringField("delta", token);
                });
            }
            sequence.event("response.function_call_arguments.done", g -> {
                g.writeStringField("item_id", ids.responseFunctionCall());
                g.writeNumberField("output_index", index);
                g.writeStringField("arguments", answer.toolCall().arguments());
            });
            sequence.event("response.output_item.done", g -> {
                g.writeNumberField("output_index", index);
                g.writeFieldName("item");
                functionCallItem(g, answer, ids, true);
            });
        } else {
            sequence.event("response.output_item.added", g -> {
                g.writeNumberField("output_index", index);
                g.writeFieldName("item");
                messageItem(g, answer, ids, false);
            });
            sequence.event("response.content_part.added", g -> {
                partPosition(g, ids, index);
                g.writeFieldName("part");
                outputText(g, "");
            });
            for (String token : answer.textTokens()) {
                sequence.token("response.output_text.delta", g -> {
                    partPosition(g, ids, index);
                    g.writeStringField("delta", token);
                    g.writeArrayFieldStart("logprobs");
                    g.writeEndArray();
                });
            }
            sequence.event("response.output_text.done", g -> {
                partPosition(g, ids, index);
                g.writeStringField("text", answer.text());
                g.writeArrayFieldStart("logprobs");
                g.writeEndArray();
            });
            sequence.event("response.content_part.done", g -> {
                partPosition(g, ids, index);
                g.writeFieldName("part");
                outputText(g, answer.text());
            });
            sequence.event("response.output_item.done", g -> {
                g.writeNumberField("output_index", index);
                g.writeFieldName("item");
                messageItem(g, answer, ids, true);
            });
        }
        sequence.event(answer.truncated() ? "response.incomplete" : "response.completed", g -> {
            g.writeFieldName("response");
            responseObject(g, answer, ask, ids, createdEpochSeconds, true);
        });
    }

    /** Numbers the events of one stream from 0 and frames each as {@code event:} plus {@code data:}. */
    private static final class Sequence {
        private final Timeline timeline;
        private long next;

        Sequence(Timeline timeline) {
            this.timeline = timeline;
        }

        void event(String type, Json.Writer fields) {
            timeline.event(frame(type, fields));
        }

        void token(String type, Json.Writer fields) {
            timeline.token(frame(type, fields));
        }

        private String frame(String type, Json.Writer fields) {
            long number = next++;
            return "event: " + type + "\ndata: " + Json.text(g -> {
                g.writeStartObject();
                g.writeStringField("type", type);
                g.writeNumberField("sequence_number", number);
                fields.write(g);
                g.writeEndObject();
            }) + "\n\n";
        }
    }

    /**
     * The response object; before the answer is done it is {@code in_progress} with no output and
     * null usage. Request settings the real API echoes are echoed with the real defaults.
     */
    private static void responseObject(JsonGenerator g, Answer answer, Ask ask, Ids ids, long createdEpochSeconds,
                                       boolean done) throws IOException {
        Map<String, Object> request = ask.body();
        g.writeStartObject();
        g.writeStringField("id", ids.response());
        g.writeStringField("object", "response");
        g.writeNumberField("created_at", createdEpochSeconds);
        g.writeStringField("status", !done ? "in_progress" : answer.truncated() ? "incomplete" : "completed");
        g.writeBooleanField("background", false);
        g.writeNullField("error");
        if (done && answer.truncated()) {
            g.writeObjectFieldStart("incomplete_details");
            g.writeStringField("reason", "max_output_tokens");
            g.writeEndObject();
        } else {
            g.writeNullField("incomplete_details");
        }
        echo(g, request, "instructions", null);
        echo(g, request, "max_output_tokens", null);
        echo(g, request, "max_tool_calls", null);
        g.writeStringField("model", answer.model());
        g.writeArrayFieldStart("output");
        if (done) {
            if (answer.hiddenReasoningTokens() > 0) {
                reasoningItem(g, ids);
            }
            if (answer.toolCall() != null) {
                functionCallItem(g, answer, ids, true);
            } else {
                messageItem(g, answer, ids, true);
            }
        }
        g.writeEndArray();
        echo(g, request, "parallel_tool_calls", Boolean.TRUE);
        echo(g, request, "previous_response_id", null);
        g.writeObjectFieldStart("reasoning");
        Object reasoning = request.get("reasoning");
        Object effort = reasoning instanceof Map<?, ?> options ? options.get("effort") : null;
        Object summary = reasoning instanceof Map<?, ?> options ? options.get("summary") : null;
        g.writeFieldName("effort");
        Json.write(g, effort == null ? Json.NULL : effort);
        g.writeFieldName("summary");
        Json.write(g, summary == null ? Json.NULL : summary);
        g.writeEndObject();
        g.writeStringField("service_tier", "default");
        echo(g, request, "store", Boolean.TRUE);
        echo(g, request, "temperature", new BigDecimal("1.0"));
        g.writeObjectFieldStart("text");
        g.writeObjectFieldStart("format");
        g.writeStringField("type", "text");
        g.writeEndObject();
        g.writeStringField("verbosity", "medium");
        g.writeEndObject();
        echo(g, request, "tool_choice", "auto");
        g.writeFieldName("tools");
        Object tools = request.get("tools");
        Json.write(g, tools instanceof List<?> ? tools : List.of());
        echo(g, request, "top_logprobs", 0L);
        echo(g, request, "top_p", new BigDecimal("1.0"));
        echo(g, request, "truncation", "disabled");
        if (done) {
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", answer.inputTokens() + answer.cacheReadTokens());
            g.writeObjectFieldStart("input_tokens_details");
            g.writeNumberField("cached_tokens", answer.cacheReadTokens());
            g.writeNumberField("cache_write_tokens", 0);
            g.writeEndObject();
            g.writeNumberField("output_tokens", answer.outputTokens());
            g.writeObjectFieldStart("output_tokens_details");
            g.writeNumberField("reasoning_tokens", answer.hiddenReasoningTokens());
            g.writeEndObject();
            g.writeNumberField("total_tokens", answer.inputTokens() + answer.cacheReadTokens() + answer.outputTokens());
            g.writeEndObject();
        } else {
            g.writeNullField("usage");
        }
        echo(g, request, "user", null);
        Object metadata = request.get("metadata");
        g.writeFieldName("metadata");
        Json.write(g, metadata instanceof Map<?, ?> ? metadata : Map.of());
        g.writeEndObject();
    }

    /** Writes the request's value of {@code name}, or {@code fallback} when the request has none. */
    private static void echo(JsonGenerator g, Map<String, Object> request, String name, Object fallback)
        throws IOException {
        g.writeFieldName(name);
        Object value = request.get(name);
        if (value == null || value == Json.NULL) {
            Json.write(g, fallback == null ? Json.NULL : fallback);
        } else {
            Json.write(g, value);
        }
    }

    private static void reasoningItem(JsonGenerator g, Ids ids) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", ids.responseReasoning());
        g.writeStringField("type", "reasoning");
        g.writeArrayFieldStart("summary");
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void messageItem(JsonGenerator g, Answer answer, Ids ids, boolean done) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", ids.responseMessage());
        g.writeStringField("type", "message");
        g.writeStringField("status", !done ? "in_progress" : answer.truncated() ? "incomplete" : "completed");
        g.writeArrayFieldStart("content");
        if (done) {
            outputText(g, answer.text());
        }
        g.writeEndArray();
        g.writeStringField("role", "assistant");
        g.writeEndObject();
    }

    private static void functionCallItem(JsonGenerator g, Answer answer, Ids ids, boolean done) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", ids.responseFunctionCall());
        g.writeStringField("type", "function_call");
        g.writeStringField("status", done ? "completed" : "in_progress");
        g.writeStringField("arguments", done ? answer.toolCall().arguments() : "");
        g.writeStringField("call_id", ids.toolCall());
        g.writeStringField("name", answer.toolCall().name());
        g.writeEndObject();
    }

    private static void outputText(JsonGenerator g, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "output_text");
        g.writeArrayFieldStart("annotations");
        g.writeEndArray();
        g.writeArrayFieldStart("logprobs");
        g.writeEndArray();
        g.writeStringField("text", text);
        g.writeEndObject();
    }

    private static void partPosition(JsonGenerator g, Ids ids, int outputIndex) throws IOException {
        g.writeStringField("item_id", ids.responseMessage());
        g.writeNumberField("output_index", outputIndex);
        g.writeNumberField("content_index", 0);
    }
}
