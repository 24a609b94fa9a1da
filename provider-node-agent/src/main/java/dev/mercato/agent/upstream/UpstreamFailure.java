package dev.mercato.agent.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.mercato.protocol.FailKind;

import java.io.IOException;

/**
 * An upstream's error answer (HTTP status ≥ 400) as the fields of a {@code fail} frame: the
 * kind the gateway acts on, whether another node may succeed, and the upstream's own message.
 */
public record UpstreamFailure(FailKind kind, int status, String message, boolean retryable,
                              Integer retryAfterSeconds) {

    /** Error bodies can be whole HTML pages; the consumer needs the first sentence, not the page. */
    public static final int MAX_MESSAGE_CHARS = 1000;
    /** A retry-after beyond an hour is not a hint a client can use. */
    public static final int MAX_RETRY_AFTER_SECONDS = 3600;

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Maps an upstream error answer. Credentials, capacity and server trouble are this node's
     * problem, so another node may succeed (retryable); a malformed or unknown request is the
     * consumer's and is not retried.
     */
    public static UpstreamFailure fromResponse(int status, String retryAfterHeader, String body) {
        FailKind kind = switch (status) {
            case 401, 402, 403 -> FailKind.AUTH;
            case 408 -> FailKind.TIMEOUT;
            case 429 -> FailKind.RATE_LIMITED;
            case 503, 529 -> FailKind.OVERLOADED;
            case 409 -> FailKind.UPSTREAM_ERROR;
            default -> status >= 500 ? FailKind.UPSTREAM_ERROR : FailKind.BAD_REQUEST;
        };
        return new UpstreamFailure(kind, status, messageOf(status, body), kind != FailKind.BAD_REQUEST,
            retryAfterSeconds(retryAfterHeader));
    }

    public void reportTo(UpstreamSink sink) {
        sink.fail(kind, status, message, retryable, retryAfterSeconds);
    }

    /** The upstream's own error message: {@code error.message}, {@code error}, {@code message} or the raw text. */
    static String messageOf(int status, String body) {
        String text = body == null ? "" : body.strip();
        if (text.startsWith("{")) {
            try (JsonParser parser = JSON.createParser(text)) {
                String message = findMessage(parser);
                if (message != null && !message.isBlank()) {
                    text = message.strip();
                }
            } catch (IOException e) {
                // Not JSON after all: the raw text is the best message there is.
            }
        }
        if (text.isEmpty()) {
            return "upstream answered HTTP " + status;
        }
        return text.length() <= MAX_MESSAGE_CHARS ? text : text.substring(0, MAX_MESSAGE_CHARS) + "…";
    }

    private static String findMessage(JsonParser parser) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        String topMessage = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("error") && value == JsonToken.VALUE_STRING) {
                return parser.getText();
            }
            if (name.equals("error") && value == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken fieldValue = parser.nextToken();
                    if (field.equals("message") && fieldValue == JsonToken.VALUE_STRING) {
                        return parser.getText();
                    }
                    parser.skipChildren();
                }
                continue;
            }
            if ((name.equals("message") || name.equals("detail")) && value == JsonToken.VALUE_STRING) {
                topMessage = parser.getText();
                continue;
            }
            parser.skipChildren();
        }
        return topMessage;
    }

    /** Whole seconds from a {@code retry-after} header; an HTTP date or garbage gives null. */
    static Integer retryAfterSeconds(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            double seconds = Double.parseDouble(header.strip());
            if (seconds < 0 || Double.isNaN(seconds)) {
                return null;
            }
            return (int) Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(seconds));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
