package dev.mercato.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.mercato.protocol.TokenUsage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The content of one simulated answer, the same for every protocol: optional visible thinking
 * (Anthropic), optional hidden reasoning (OpenAI), then either text or one tool call. One token
 * is one delta of a stream.
 *
 * @param truncated whether the request's output cap cut the answer short
 */
record Answer(String model, List<String> thinkingTokens, String signature, int hiddenReasoningTokens,
              List<String> textTokens, ToolCall toolCall, boolean truncated, long inputTokens,
              long cacheReadTokens) {

    /** A call of the request's first function tool; the arguments stream as {@code argumentTokens}. */
    record ToolCall(String name, String arguments, List<String> argumentTokens) {
    }

    /** Thinking shown before an Anthropic answer when the request enables it, one token a word. */
    static final List<String> THINKING_TOKENS =
        List.of("Simulated", " thinking", " about", " how", " to", " answer", " this", " request.");

    /** Hidden reasoning tokens an OpenAI answer reports when the request asks for reasoning. */
    static final int REASONING_TOKENS = 8;

    /** Tool-call arguments stream in pieces of this many characters, one token each. */
    static final int ARGUMENT_CHARS_PER_TOKEN = 4;

    /** Nested object schemas deeper than this get an empty object as their sample. */
    static final int MAX_SCHEMA_DEPTH = 8;

    private static final List<String> FILLER_TOKENS = List.of(" lorem", " ipsum", " dolor", " sit", " amet",
        " consectetur", " adipiscing", " elit", " sed", " do", " eiusmod", " tempor", " incididunt", " ut",
        " labore", " et", " dolore", " magna", " aliqua.");

    /** Bytes of UTF-8 prompt text that count as one input token. */
    static final int PROMPT_BYTES_PER_TOKEN = 4;

    /**
     * Plans the answer to {@code ask}: thinking or reasoning first, then the tool call when one
     * fits in the cap, else text of {@code requestedTokens} tokens cut to the cap.
     */
    static Answer plan(Ask ask, int requestedTokens, int hardCapTokens, long cacheReadTokens, String signature) {
        long capTokens = Math.min(ask.outputCapTokens(), hardCapTokens);
        int thinkingCount = (int) Math.min(Math.min(THINKING_TOKENS.size(), ask.thinkingBudgetTokens()), capTokens);
        int hiddenReasoning = ask.reasoning() ? (int) Math.min(REASONING_TOKENS, capTokens) : 0;
        long roomTokens = capTokens - thinkingCount - hiddenReasoning;
        List<String> thinking = THINKING_TOKENS.subList(0, thinkingCount);
        long inputTokens = inputTokens(ask.promptText());
        if (ask.tool() != null) {
            String arguments = Json.text(g -> sampleObject(g, ask.tool().schema(), 0));
            List<String> argumentTokens = split(arguments);
            if (argumentTokens.size() <= roomTokens) {
                return new Answer(ask.model(), thinking, signature, hiddenReasoning, List.of(),
                    new ToolCall(ask.tool().name(), arguments, argumentTokens), false, inputTokens, cacheReadTokens);
            }
        }
        boolean truncated = ask.tool() != null || requestedTokens > roomTokens;
        int textCount = (int) Math.min(requestedTokens, roomTokens);
        return new Answer(ask.model(), thinking, signature, hiddenReasoning, textTokens(ask.model(), textCount), null,
            truncated, inputTokens, cacheReadTokens);
    }

    /** Every output token: thinking, hidden reasoning, and text or tool-call arguments. */
    long outputTokens() {
        long answerTokens = toolCall != null ? toolCall.argumentTokens().size() : textTokens.size();
        return thinkingTokens.size() + hiddenReasoningTokens + answerTokens;
    }

    String text() {
        return String.join("", textTokens);
    }

    String thinking() {
        return String.join("", thinkingTokens);
    }

    /** The normalized usage this answer reports in any protocol. */
    TokenUsage usage() {
        return new TokenUsage(inputTokens, outputTokens(), 0, cacheReadTokens, hiddenReasoningTokens);
    }

    /** One token per {@link #PROMPT_BYTES_PER_TOKEN} UTF-8 bytes of prompt text, rounded up. */
    static long inputTokens(String promptText) {
        long bytes = 0;
        for (int i = 0; i < promptText.length(); i++) {
            char c = promptText.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                // A surrogate pair is one code point of four bytes; its low half adds nothing.
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return (bytes + PROMPT_BYTES_PER_TOKEN - 1) / PROMPT_BYTES_PER_TOKEN;
    }

    /**
     * "Simulated answer from MODEL (N tokens): lorem ipsum ...", exactly {@code count} tokens; the
     * prefix itself is cut when {@code count} is smaller than it.
     */
    static List<String> textTokens(String model, int count) {
        List<String> tokens = new ArrayList<>(count);
        List<String> prefix = List.of("Simulated", " answer", " from", " " + model, " (" + count, " tokens):");
        for (int i = 0; i < count; i++) {
            if (i < prefix.size()) {
                tokens.add(prefix.get(i));
            } else {
                tokens.add(FILLER_TOKENS.get((i - prefix.size()) % FILLER_TOKENS.size()));
            }
        }
        return tokens;
    }

    /** Cuts {@code text} into pieces of {@link #ARGUMENT_CHARS_PER_TOKEN} code points. */
    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = start;
            for (int points = 0; points < ARGUMENT_CHARS_PER_TOKEN && end < text.length(); points++) {
                end = text.offsetByCodePoints(end, 1);
            }
            pieces.add(text.substring(start, end));
            start = end;
        }
        return pieces;
    }

    /** Writes an object with a sample value for each property of an object schema (none when null). */
    private static void sampleObject(JsonGenerator g, Map<String, Object> schema, int depth) throws IOException {
        g.writeStartObject();
        if (schema != null && depth < MAX_SCHEMA_DEPTH && schema.get("properties") instanceof Map<?, ?> properties) {
            for (Map.Entry<?, ?> property : properties.entrySet()) {
                g.writeFieldName((String) property.getKey());
                sample(g, property.getValue(), depth + 1);
            }
        }
        g.writeEndObject();
    }

    /**
     * Writes a sample value for a JSON schema: the first {@code enum} value, or by {@code type}
     * "simulated", 1, true, [] or an object with a sample for each property.
     */
    @SuppressWarnings("unchecked")
    private static void sample(JsonGenerator g, Object schemaNode, int depth) throws IOException {
        Map<String, Object> schema = schemaNode instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
        if (schema.get("enum") instanceof List<?> values && !values.isEmpty()) {
            Json.write(g, values.getFirst());
            return;
        }
        String type = switch (schema.get("type")) {
            case String single -> single;
            case List<?> several -> several.stream().filter(t -> t instanceof String s && !"null".equals(s))
                .map(String.class::cast).findFirst().orElse("null");
            case null, default -> schema.get("properties") instanceof Map<?, ?> ? "object" : "string";
        };
        switch (type) {
            case "object" -> sampleObject(g, schema, depth);
            case "integer", "number" -> g.writeNumber(1);
            case "boolean" -> g.writeBoolean(true);
            case "array" -> {
                g.writeStartArray();
                g.writeEndArray();
            }
            case "null" -> g.writeNull();
            default -> g.writeString("simulated");
        }
    }
}
