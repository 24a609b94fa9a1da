package dev.mercato.simulator;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;

/** Writes answers in the OpenAI Chat Completions format: a completion, or its {@code data:} chunk stream. */
final class ChatCompletionsFormat {

    static final String SYSTEM_FINGERPRINT = "fp_simulator";

    private ChatCompletionsFormat() {
    }

    /** The non-streaming body. */
    static String completion(Answer answer, Ids ids, long createdEpochSeconds) {
        return Json.text(g -> {
            g.writeStartObject();
            g.writeStringField("id", ids.chatCompletion());
            g.writeStringField("object", "chat.completion");
            g.writeNumberField("created", createdEpochSeconds);
            g.writeStringField("model", answer.model());
            g.writeArrayFieldStart("choices");
            g.writeStartObject();
            g.writeNumberField("index", 0);
            g.writeObjectFieldStart("message");
            g.writeStringField("role", "assistant");
            if (answer.toolCall() != null) {
                g.writeNullField("content");
                g.writeArrayFieldStart("tool_calls");
                g.writeStartObject();
                g.writeStringField("id", ids.toolCall());
                g.writeStringField("type", "function");
                g.writeObjectFieldStart("function");
                g.writeStringField("name", answer.toolCall().name());
                g.writeStringField("arguments", answer.toolCall().arguments());
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndArray();
            } else {
                g.writeStringField("content", answer.text());
            }
            g.writeNullField("refusal");
            g.writeArrayFieldStart("annotations");
            g.writeEndArray();
            g.writeEndObject();
            g.writeNullField("logprobs");
            g.writeStringField("finish_reason", finishReason(answer));
            g.writeEndObject();
            g.writeEndArray();
            g.writeFieldName("usage");
            usage(g, answer);
            g.writeStringField("service_tier", "default");
            g.writeStringField("system_fingerprint", SYSTEM_FINGERPRINT);
            g.writeEndObject();
        });
    }

    /**
     * The stream: a chunk with the role, one chunk per token, a chunk with the finish reason,
     * the usage chunk ({@code choices: []}) only when {@code includeUsage}, then {@code [DONE]}.
     * With {@code includeUsage} every other chunk carries {@code "usage":null}, as the real API does.
     */
    static void stream(Answer answer, Ids ids, long createdEpochSeconds, boolean includeUsage, Timeline timeline) {
        timeline.event(chunk(ids, answer, createdEpochSeconds, includeUsage, g -> {
            g.writeStringField("role", "assistant");
            if (answer.toolCall() != null) {
                g.writeNullField("content");
                g.writeArrayFieldStart("tool_calls");
                g.writeStartObject();
                g.writeNumberField("index", 0);
                g.writeStringField("id", ids.toolCall());
                g.writeStringField("type", "function");
                g.writeObjectFieldStart("function");
                g.writeStringField("name", answer.toolCall().name());
                g.writeStringField("arguments", "");
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndArray();
            } else {
                g.writeStringField("content", "");
            }
            g.writeNullField("refusal");
        }, null));
        if (answer.toolCall() != null) {
            for (String token : answer.toolCall().argumentTokens()) {
                timeline.token(chunk(ids, answer, createdEpochSeconds, includeUsage, g -> {
                    g.writeArrayFieldStart("tool_calls");
                    g.writeStartObject();
                    g.writeNumberField("index", 0);
                    g.writeObjectFieldStart("function");
                    g.writeStringField("arguments", token);
                    g.writeEndObject();
                    g.writeEndObject();
                    g.writeEndArray();
                }, null));
            }
        } else {
            for (String token : answer.textTokens()) {
                timeline.token(chunk(ids, answer, createdEpochSeconds, includeUsage,
                    g -> g.writeStringField("content", token), null));
            }
        }
        timeline.event(chunk(ids, answer, createdEpochSeconds, includeUsage, g -> { }, finishReason(answer)));
        if (includeUsage) {
            timeline.event("data: " + Json.text(g -> {
                g.writeStartObject();
                chunkHead(g, ids, answer, createdEpochSeconds);
                g.writeArrayFieldStart("choices");
                g.writeEndArray();
                g.writeFieldName("usage");
                usage(g, answer);
                g.writeEndObject();
            }) + "\n\n");
        }
        timeline.event("data: [DONE]\n\n");
    }

    private static String finishReason(Answer answer) {
        if (answer.truncated()) {
            return "length";
        }
        return answer.toolCall() != null ? "tool_calls" : "stop";
    }

    private static String chunk(Ids ids, Answer answer, long createdEpochSeconds, boolean includeUsage,
                                Json.Writer delta, String finishReason) {
        return "data: " + Json.text(g -> {
            g.writeStartObject();
            chunkHead(g, ids, answer, createdEpochSeconds);
            g.writeArrayFieldStart("choices");
            g.writeStartObject();
            g.writeNumberField("index", 0);
            g.writeObjectFieldStart("delta");
            delta.write(g);
            g.writeEndObject();
            g.writeNullField("logprobs");
            g.writeStringField("finish_reason", finishReason);
            g.writeEndObject();
            g.writeEndArray();
            if (includeUsage) {
                g.writeNullField("usage");
            }
            g.writeEndObject();
        }) + "\n\n";
    }

    private static void chunkHead(JsonGenerator g, Ids ids, Answer answer, long createdEpochSeconds)
        throws IOException {
        g.writeStringField("id", ids.chatCompletion());
        g.writeStringField("object", "chat.completion.chunk");
        g.writeNumberField("created", createdEpochSeconds);
        g.writeStringField("model", answer.model());
        g.writeStringField("service_tier", "default");
        g.writeStringField("system_fingerprint", SYSTEM_FINGERPRINT);
    }

    /** prompt_tokens counts the cached tokens inside it; completion_tokens counts the reasoning inside it. */
    private static void usage(JsonGenerator g, Answer answer) throws IOException {
        long promptTokens = answer.inputTokens() + answer.cacheReadTokens();
        g.writeStartObject();
        g.writeNumberField("prompt_tokens", promptTokens);
        g.writeNumberField("completion_tokens", answer.outputTokens());
        g.writeNumberField("total_tokens", promptTokens + answer.outputTokens());
        g.writeObjectFieldStart("prompt_tokens_details");
        g.writeNumberField("cached_tokens", answer.cacheReadTokens());
        g.writeNumberField("audio_tokens", 0);
        g.writeEndObject();
        g.writeObjectFieldStart("completion_tokens_details");
        g.writeNumberField("reasoning_tokens", answer.hiddenReasoningTokens());
        g.writeNumberField("audio_tokens", 0);
        g.writeNumberField("accepted_prediction_tokens", 0);
        g.writeNumberField("rejected_prediction_tokens", 0);
        g.writeEndObject();
        g.writeEndObject();
    }
}
