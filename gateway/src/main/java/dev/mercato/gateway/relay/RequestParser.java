package dev.mercato.gateway.relay;

import dev.mercato.gateway.error.ApiError;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks a consumer body against what its route requires (wire-formats.md) and prepares the
 * upstream body. Unknown fields pass through untouched: the upstream is the judge of those.
 */
@Singleton
public final class RequestParser {

    /** Longest parser message quoted back to the consumer. */
    private static final int MAX_DETAIL_CHARS = 200;

    private final JsonMapper jsonMapper;

    public RequestParser(JsonMapper jsonMapper) {
        this.jsonMapper = jsonMapper;
    }

    /** @throws ApiError.Exception with {@code invalid_request} naming the field at fault */
    public ParsedRequest parse(ApiRoute route, byte[] body) {
        if (body == null || body.length == 0) {
            throw invalid(null, "The request body is empty; send a JSON object.");
        }
        JsonNode root;
        try {
            root = jsonMapper.readValue(body, JsonNode.class);
        } catch (IOException | RuntimeException e) {
            String detail = String.valueOf(e.getMessage());
            int lineEnd = detail.indexOf('\n');
            if (lineEnd > 0) {
                detail = detail.substring(0, lineEnd); // drop the parser's source-location lines
            }
            if (detail.length() > MAX_DETAIL_CHARS) {
                detail = detail.substring(0, MAX_DETAIL_CHARS) + "…";
            }
            throw invalid(null, "The request body is not valid JSON: " + detail);
        }
        if (root == null || !root.isObject()) {
            throw invalid(null, "The request body must be a JSON object.");
        }
        String model = requiredString(root, "model");
        boolean stream = optionalBoolean(root, "stream");
        switch (route) {
            case MESSAGES -> {
                requiredPositiveInteger(root, "max_tokens");
                requiredNonEmptyArray(root, "messages");
            }
            case COUNT_TOKENS -> requiredNonEmptyArray(root, "messages");
            case CHAT_COMPLETIONS -> {
                requiredNonEmptyArray(root, "messages");
                optionalPositiveInteger(root, "max_tokens");
                optionalPositiveInteger(root, "max_completion_tokens");
            }
            case RESPONSES -> optionalPositiveInteger(root, "max_output_tokens");
        }
        Long maxOutputTokens = switch (route) {
            case MESSAGES -> longValue(root, "max_tokens");
            case CHAT_COMPLETIONS -> {
                Long completion = longValue(root, "max_completion_tokens");
                yield completion != null ? completion : longValue(root, "max_tokens");
            }
            case RESPONSES -> longValue(root, "max_output_tokens");
            case COUNT_TOKENS -> null;
        };
        if (route == ApiRoute.COUNT_TOKENS && stream) {
            throw invalid("stream", "count_tokens does not stream; remove 'stream'.");
        }
        String text = new String(body, StandardCharsets.UTF_8);
        if (route == ApiRoute.CHAT_COMPLETIONS && stream) {
            // Usage arrives only if asked for: always ask, and remember whether the consumer did.
            JsonNode options = root.get("stream_options");
            boolean wantsUsage = options != null && options.isObject() && options.get("include_usage") != null
                && options.get("include_usage").isBoolean() && options.get("include_usage").getBooleanValue();
            if (!wantsUsage) {
                text = withUsageRequested(root, options);
            }
            return new ParsedRequest(route, model, true, wantsUsage, maxOutputTokens, text, conversationHint(root));
        }
        return new ParsedRequest(route, model, stream, true, maxOutputTokens, text, conversationHint(root));
    }

    /** The same request for another model name: the upstream body names it instead (a pinned request's bare model). */
    public ParsedRequest withModel(ParsedRequest request, String model) {
        try {
            JsonNode root = jsonMapper.readValue(request.upstreamBody(), JsonNode.class);
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            root.entries().forEach(entry -> fields.put(entry.getKey(), entry.getValue()));
            fields.put("model", JsonNode.createStringNode(model));
            return new ParsedRequest(request.route(), model, request.stream(), request.consumerWantsUsageChunk(),
                request.maxOutputTokens(), jsonMapper.writeValueAsString(JsonNode.createObjectNode(fields)),
                request.conversationHint());
        } catch (IOException e) {
            throw new IllegalStateException("re-encoding a body that was parsed once cannot fail", e);
        }
    }

    /** Longest conversation hint kept: a hint is an id, and the gateway keeps one per conversation. */
    static final int MAX_HINT_CHARS = 256;

    /** What the consumer says its conversation is, for keeping it on one node; null when it says nothing. */
    private static String conversationHint(JsonNode root) {
        JsonNode metadata = root.get("metadata");
        JsonNode[] hints = {root.get("prompt_cache_key"), root.get("user"),
            metadata != null && metadata.isObject() ? metadata.get("user_id") : null};
        for (JsonNode hint : hints) {
            if (hint != null && hint.isString() && !hint.getStringValue().isBlank()) {
                String text = hint.getStringValue();
                return text.length() > MAX_HINT_CHARS ? text.substring(0, MAX_HINT_CHARS) : text;
            }
        }
        return null;
    }

    private String withUsageRequested(JsonNode root, JsonNode options) {
        Map<String, JsonNode> optionFields = new LinkedHashMap<>();
        if (options != null && options.isObject()) {
            options.entries().forEach(entry -> optionFields.put(entry.getKey(), entry.getValue()));
        }
        optionFields.put("include_usage", JsonNode.createBooleanNode(true));
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        root.entries().forEach(entry -> fields.put(entry.getKey(), entry.getValue()));
        fields.put("stream_options", JsonNode.createObjectNode(optionFields));
        try {
            return jsonMapper.writeValueAsString(JsonNode.createObjectNode(fields));
        } catch (IOException e) {
            throw new IllegalStateException("re-encoding a parsed JSON tree cannot fail", e);
        }
    }

    private static String requiredString(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            throw invalid(field, "The '" + field + "' field is required.");
        }
        if (!value.isString() || value.getStringValue().isBlank()) {
            throw invalid(field, "The '" + field + "' field must be a non-empty string.");
        }
        return value.getStringValue();
    }

    private static boolean optionalBoolean(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw invalid(field, "The '" + field + "' field must be true or false.");
        }
        return value.getBooleanValue();
    }

    /** An integer field already checked to be positive, or null when absent. */
    private static Long longValue(JsonNode root, String field) {
        JsonNode value = root.get(field);
        return value == null || value.isNull() ? null : value.getNumberValue().longValue();
    }

    private static void requiredPositiveInteger(JsonNode root, String field) {
        if (root.get(field) == null || root.get(field).isNull()) {
            throw invalid(field, "The '" + field + "' field is required.");
        }
        optionalPositiveInteger(root, field);
    }

    private static void optionalPositiveInteger(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        Number number = value.isNumber() ? value.getNumberValue() : null;
        boolean integral = number instanceof Integer || number instanceof Long || number instanceof Short
            || number instanceof BigInteger;
        if (!integral || number.longValue() < 1 || (number instanceof BigInteger big && big.bitLength() > 31)) {
            throw invalid(field, "The '" + field + "' field must be a positive integer.");
        }
    }

    private static void requiredNonEmptyArray(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            throw invalid(field, "The '" + field + "' field is required.");
        }
        if (!value.isArray() || value.size() == 0) {
            throw invalid(field, "The '" + field + "' field must be a non-empty array.");
        }
    }

    private static ApiError.Exception invalid(String param, String message) {
        return new ApiError.Exception(ApiError.invalidParam(param, message));
    }
}
