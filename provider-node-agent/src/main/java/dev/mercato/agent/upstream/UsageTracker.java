package dev.mercato.agent.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.TokenUsage;

import java.io.IOException;
import java.util.Arrays;

/**
 * Picks the token usage out of an upstream body as it streams past: from the SSE data lines
 * that mention {@code "usage"} (Anthropic {@code message_start}/{@code message_delta}, the
 * OpenAI usage chunk, Responses {@code response.completed}), or from a whole JSON body.
 * Later reports override earlier ones field by field, as Anthropic's cumulative counts need.
 * Not thread-safe: one per body, fed in order.
 */
public final class UsageTracker {

    /** A Responses {@code response.completed} line repeats the whole output, so lines may be long. */
    public static final int MAX_LINE_CHARS = 4 * 1024 * 1024;
    /** A non-streamed body longer than this is forwarded but not searched for usage. */
    public static final int MAX_BODY_CHARS = 8 * 1024 * 1024;

    private static final JsonFactory JSON = new JsonFactory();
    private static final String USAGE_KEY = "\"usage\"";

    private static final int INPUT = 0;
    private static final int OUTPUT = 1;
    private static final int CACHE_WRITE = 2;
    private static final int CACHE_READ = 3;
    private static final int PROMPT = 4;
    private static final int COMPLETION = 5;
    private static final int CACHED = 6;
    private static final int REASONING = 7;
    private static final long UNSEEN = -1;

    private final boolean eventStream;
    private final StringBuilder pending = new StringBuilder();
    private final long[] counts = new long[8];
    private boolean overflowed;

    private UsageTracker(boolean eventStream) {
        this.eventStream = eventStream;
        Arrays.fill(counts, UNSEEN);
    }

    /** An event stream is read line by line; anything else is kept whole (up to a limit) and read at the end. */
    public static UsageTracker forContentType(String contentType) {
        return new UsageTracker(contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17));
    }

    public void accept(String chunk) {
        if (!eventStream) {
            append(chunk, 0, chunk.length(), MAX_BODY_CHARS);
            return;
        }
        int from = 0;
        while (from < chunk.length()) {
            int newline = chunk.indexOf('\n', from);
            if (newline < 0) {
                append(chunk, from, chunk.length(), MAX_LINE_CHARS);
                return;
            }
            if (pending.isEmpty() && !overflowed) {
                examineLine(chunk, from, newline);
            } else {
                append(chunk, from, newline, MAX_LINE_CHARS);
                if (!overflowed) {
                    examineLine(pending.toString(), 0, pending.length());
                }
                pending.setLength(0);
                overflowed = false;
            }
            from = newline + 1;
        }
    }

    /** The usage reported so far, normalised; null when the body reported none. */
    public TokenUsage finish(Protocol protocol) {
        if (eventStream) {
            if (!overflowed && !pending.isEmpty()) {
                examineLine(pending.toString(), 0, pending.length());
            }
        } else if (!overflowed && pending.indexOf(USAGE_KEY) >= 0) {
            parse(pending.toString());
        }
        pending.setLength(0);
        if (protocol == Protocol.ANTHROPIC) {
            if (counts[INPUT] == UNSEEN && counts[OUTPUT] == UNSEEN) {
                return null;
            }
            return new TokenUsage(count(INPUT), count(OUTPUT), count(CACHE_WRITE), count(CACHE_READ), 0);
        }
        // Chat Completions says prompt/completion, Responses says input/output; both count cached tokens
        // inside the prompt, so they are taken out to count each token once.
        int promptField = counts[PROMPT] != UNSEEN ? PROMPT : INPUT;
        int completionField = counts[COMPLETION] != UNSEEN ? COMPLETION : OUTPUT;
        if (counts[promptField] == UNSEEN && counts[completionField] == UNSEEN) {
            return null;
        }
        long prompt = count(promptField);
        long cached = Math.min(count(CACHED), prompt);
        return new TokenUsage(prompt - cached, count(completionField), 0, cached, count(REASONING));
    }

    private long count(int field) {
        return counts[field] == UNSEEN ? 0 : counts[field];
    }

    private void append(String text, int from, int to, int limit) {
        if (overflowed) {
            return;
        }
        if (pending.length() + (to - from) > limit) {
            overflowed = true;
            pending.setLength(0);
            return;
        }
        pending.append(text, from, to);
    }

    private void examineLine(String text, int from, int to) {
        if (text.startsWith("data:", from) && text.indexOf(USAGE_KEY, from, to) >= 0) {
            parse(text.substring(from + 5, to));
        }
    }

    private void parse(String json) {
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() == JsonToken.START_OBJECT) {
                findUsage(parser, true);
            }
        } catch (IOException e) {
            // A line that is not JSON reports nothing; the gateway counts what passed through on its own.
        }
    }

    /** Looks for {@code usage} at the top level or inside a top-level {@code message} / {@code response}. */
    private boolean findUsage(JsonParser parser, boolean topLevel) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.START_OBJECT && name.equals("usage")) {
                readUsage(parser);
                return true;
            }
            if (value == JsonToken.START_OBJECT && topLevel && (name.equals("message") || name.equals("response"))) {
                if (findUsage(parser, false)) {
                    return true;
                }
                continue;
            }
            parser.skipChildren();
        }
        return false;
    }

    private void readUsage(JsonParser parser) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.VALUE_NUMBER_INT) {
                record(name, parser.getLongValue());
            } else if (value == JsonToken.START_OBJECT && name.endsWith("_details")) {
                readUsage(parser);
            } else {
                parser.skipChildren();
            }
        }
    }

    private void record(String name, long value) {
        int field = switch (name) {
            case "input_tokens" -> INPUT;
            case "output_tokens" -> OUTPUT;
            case "cache_creation_input_tokens" -> CACHE_WRITE;
            case "cache_read_input_tokens" -> CACHE_READ;
            case "prompt_tokens" -> PROMPT;
            case "completion_tokens" -> COMPLETION;
            case "cached_tokens" -> CACHED;
            case "reasoning_tokens" -> REASONING;
            default -> -1;
        };
        if (field >= 0) {
            counts[field] = Math.max(0, value);
        }
    }
}
