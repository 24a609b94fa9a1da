package dev.mercato.gateway.relay;

import dev.mercato.protocol.TokenUsage;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.io.IOException;

/**
 * Reads token usage out of answers as they pass, in each protocol's own fields, and counts
 * every kind once: OpenAI's cached tokens are inside its prompt tokens, so they are taken out
 * of the input count; Anthropic reports cache tokens beside its input tokens already.
 */
final class UsageMeter {

    private final JsonMapper jsonMapper;
    private final ApiRoute route;
    private long inputTokens;
    private long outputTokens;
    private long cacheWriteTokens;
    private long cacheReadTokens;
    private long reasoningTokens;
    private boolean seen;
    /** Content deltas passed to the consumer: each carries at least one output token. */
    private long deltaEvents;
    private final String deltaMarker;

    UsageMeter(JsonMapper jsonMapper, ApiRoute route) {
        this.jsonMapper = jsonMapper;
        this.route = route;
        this.deltaMarker = switch (route) {
            case MESSAGES -> "\"content_block_delta\"";
            case CHAT_COMPLETIONS -> "\"delta\":{\"content\":\""; // not the opening role chunk, which carries none
            case RESPONSES -> ".delta\"";
            case COUNT_TOKENS -> "\u0000never";
        };
    }

    /**
     * Inspects one SSE event of a stream. Returns true when the event is the Chat Completions
     * usage chunk ({@code choices: []} with a usage object), which the relay may have to remove.
     */
    boolean onStreamEvent(String event) {
        if (event.contains(deltaMarker)) {
            deltaEvents++;
        }
        if (!event.contains("\"usage\"")) {
            return false; // most events carry no usage: skip the parse
        }
        JsonNode data = dataOf(event);
        if (data == null) {
            return false;
        }
        switch (route) {
            case MESSAGES -> {
                JsonNode type = data.get("type");
                if (type != null && type.isString() && type.getStringValue().equals("message_start")) {
                    JsonNode message = data.get("message");
                    readAnthropic(message == null ? null : message.get("usage"));
                } else {
                    readAnthropic(data.get("usage"));
                }
            }
            case CHAT_COMPLETIONS -> {
                JsonNode usage = data.get("usage");
                if (usage != null && usage.isObject()) {
                    readOpenAi(usage, "prompt_tokens", "completion_tokens", "prompt_tokens_details",
                        "completion_tokens_details");
                    JsonNode choices = data.get("choices");
                    return choices != null && choices.isArray() && choices.size() == 0;
                }
            }
            case RESPONSES -> {
                JsonNode response = data.get("response");
                JsonNode usage = response == null ? null : response.get("usage");
                if (usage != null && usage.isObject()) {
                    readOpenAi(usage, "input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details");
                }
            }
            case COUNT_TOKENS -> {
            }
        }
        return false;
    }

    /**
     * Whether the event carries the answer's final usage, where its cost belongs: Anthropic's
     * message_delta, the Chat Completions usage chunk, Responses' response.completed.
     */
    boolean isFinalUsageEvent(String event, boolean usageChunk) {
        return switch (route) {
            case MESSAGES -> event.contains("\"type\":\"message_delta\"") && event.contains("\"usage\"");
            case CHAT_COMPLETIONS -> usageChunk;
            case RESPONSES -> event.contains("\"type\":\"response.completed\"") && event.contains("\"usage\"");
            case COUNT_TOKENS -> false;
        };
    }

    /**
     * Adds {@code "cost":"<usdc>"} as the first field of the last usage object in the text. A
     * quote inside a JSON string is always escaped, so {@code "usage":{} found raw is structure.
     */
    static String withCost(String json, String costUsdc) {
        int usage = json.lastIndexOf("\"usage\":{");
        if (usage < 0) {
            return json;
        }
        int insertAt = usage + "\"usage\":{".length();
        boolean empty = insertAt < json.length() && json.charAt(insertAt) == '}';
        return json.substring(0, insertAt) + "\"cost\":\"" + costUsdc + "\"" + (empty ? "" : ",") + json.substring(insertAt);
    }

    /** Reads the usage of a whole (non-streaming) JSON answer. */
    void onBody(String body) {
        if (!body.contains("\"usage\"")) {
            return;
        }
        JsonNode root = parse(body);
        if (root == null || !root.isObject()) {
            return;
        }
        JsonNode usage = root.get("usage");
        switch (route) {
            case MESSAGES -> readAnthropic(usage);
            case CHAT_COMPLETIONS -> readOpenAi(usage, "prompt_tokens", "completion_tokens", "prompt_tokens_details",
                "completion_tokens_details");
            case RESPONSES -> readOpenAi(usage, "input_tokens", "output_tokens", "input_tokens_details",
                "output_tokens_details");
            case COUNT_TOKENS -> {
            }
        }
    }

    /** The usage seen so far; zero when the answer reported none. */
    TokenUsage usage() {
        return new TokenUsage(inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, reasoningTokens);
    }

    /**
     * What to bill: the usage reported, but never fewer output tokens than content deltas were
     * delivered. A stream cut short never reports its final usage; its deltas are what the
     * consumer received, and each carried at least one token.
     */
    TokenUsage billableUsage() {
        return new TokenUsage(inputTokens, Math.max(outputTokens, deltaEvents), cacheWriteTokens, cacheReadTokens,
            reasoningTokens);
    }

    boolean seen() {
        return seen;
    }

    // Anthropic: message_start carries input and cache counts; message_delta carries the
    // cumulative output count (and, in newer versions, the input counts again). Take the largest.
    private void readAnthropic(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return;
        }
        seen = true;
        inputTokens = Math.max(inputTokens, longField(usage, "input_tokens"));
        outputTokens = Math.max(outputTokens, longField(usage, "output_tokens"));
        cacheWriteTokens = Math.max(cacheWriteTokens, longField(usage, "cache_creation_input_tokens"));
        cacheReadTokens = Math.max(cacheReadTokens, longField(usage, "cache_read_input_tokens"));
    }

    private void readOpenAi(JsonNode usage, String inputField, String outputField, String inputDetails,
                            String outputDetails) {
        if (usage == null || !usage.isObject()) {
            return;
        }
        seen = true;
        long prompt = longField(usage, inputField);
        JsonNode inDetails = usage.get(inputDetails);
        long cached = inDetails == null ? 0 : longField(inDetails, "cached_tokens");
        JsonNode outDetails = usage.get(outputDetails);
        cacheReadTokens = Math.min(cached, prompt);
        inputTokens = prompt - cacheReadTokens;
        outputTokens = longField(usage, outputField);
        reasoningTokens = outDetails == null ? 0 : Math.min(longField(outDetails, "reasoning_tokens"), outputTokens);
    }

    private static long longField(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || !value.isNumber()) {
            return 0;
        }
        long count = value.getLongValue();
        return Math.max(0, count);
    }

    private JsonNode dataOf(String event) {
        int start = 0;
        while (start < event.length()) {
            int lineEnd = event.indexOf('\n', start);
            if (lineEnd == -1) {
                lineEnd = event.length();
            }
            if (event.startsWith("data:", start)) {
                String data = event.substring(start + 5, lineEnd).trim();
                return data.startsWith("{") ? parse(data) : null;
            }
            start = lineEnd + 1;
        }
        return null;
    }

    private JsonNode parse(String json) {
        try {
            return jsonMapper.readValue(json, JsonNode.class);
        } catch (IOException | RuntimeException e) {
            return null; // not ours to judge: the bytes still go to the consumer as they are
        }
    }
}
