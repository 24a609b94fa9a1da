package dev.mercato.gateway.error;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/**
 * The one place errors are written, in the shape of the protocol the consumer called, so the
 * official SDKs raise their own typed exceptions. Also writes the in-stream error events used
 * once a stream has begun.
 */
public final class ErrorResponses {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

    private ErrorResponses() {
    }

    /** Every failure of a consumer route becomes an error in the consumer's protocol; bugs become 500s. */
    public static MutableHttpResponse<?> refusal(WireProtocol protocol, Throwable failure, String requestId) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ApiError.Exception apiError) {
            return response(protocol, apiError.error(), requestId);
        }
        if (cause instanceof CancellationException) {
            // The consumer closed the connection before its answer (RelayExchange cancels the answer
            // and tells the node to stop): routine, and nobody is left to read what is written here.
            LOG.debug("request {}: the consumer disconnected before its answer", requestId);
        } else {
            LOG.error("request {} failed inside the gateway", requestId, cause);
        }
        return response(protocol, ApiError.of(ErrorCode.INTERNAL_ERROR, "The gateway failed to handle the request "
            + "(request id " + requestId + "); retry, and report the id if it persists."), requestId);
    }

    public static MutableHttpResponse<byte[]> response(WireProtocol protocol, ApiError error, String requestId) {
        byte[] body = body(protocol, error, requestId).getBytes(StandardCharsets.UTF_8);
        MutableHttpResponse<byte[]> response = HttpResponse.<byte[]>status(error.code().httpStatus(),
                reasonPhrase(error.code().httpStatus()))
            .contentType(MediaType.APPLICATION_JSON_TYPE)
            .header("x-should-retry", Boolean.toString(error.code().retryable()))
            .body(body);
        if (error.retryAfterSeconds() != null) {
            response.header("retry-after", Integer.toString(error.retryAfterSeconds()));
        }
        return response;
    }

    /**
     * The reason phrase for a status code, including codes Micronaut's enum lacks (529, the
     * upstream-overloaded status that SDKs retry on).
     */
    public static String reasonPhrase(int status) {
        return status == 529 ? "Site Overloaded" : io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase();
    }

    /** The JSON error body of a non-streaming refusal. */
    public static String body(WireProtocol protocol, ApiError error, String requestId) {
        StringBuilder json = new StringBuilder(160 + error.message().length());
        if (protocol == WireProtocol.ANTHROPIC) {
            json.append("{\"type\":\"error\",\"error\":{\"type\":");
            Json.appendString(json, error.code().anthropicType());
            json.append(",\"message\":");
            Json.appendString(json, error.message());
            json.append(",\"mercato_code\":");
            Json.appendString(json, error.code().code());
            json.append("},\"request_id\":");
            Json.appendString(json, requestId);
            json.append('}');
        } else {
            json.append("{\"error\":{\"message\":");
            Json.appendString(json, error.message());
            json.append(",\"type\":");
            Json.appendString(json, error.code().openAiType());
            json.append(",\"param\":");
            if (error.param() == null) {
                json.append("null");
            } else {
                Json.appendString(json, error.param());
            }
            json.append(",\"code\":");
            Json.appendString(json, error.code().code());
            json.append("}}");
        }
        return json.toString();
    }

    /**
     * The error event that ends a stream which has already begun: Anthropic {@code event: error},
     * Chat Completions a data object with an {@code error} key, Responses {@code response.failed}.
     */
    public static String streamEvent(StreamKind kind, ApiError error, String requestId, int sequenceNumber) {
        return switch (kind) {
            case ANTHROPIC_MESSAGES -> "event: error\ndata: " + body(WireProtocol.ANTHROPIC, error, requestId) + "\n\n";
            case OPENAI_CHAT -> "data: " + body(WireProtocol.OPENAI, error, requestId) + "\n\n";
            case OPENAI_RESPONSES -> {
                StringBuilder json = new StringBuilder(256);
                json.append("{\"type\":\"response.failed\",\"sequence_number\":").append(sequenceNumber)
                    .append(",\"response\":{\"id\":");
                Json.appendString(json, "resp_failed_" + requestId);
                json.append(",\"object\":\"response\",\"status\":\"failed\",\"error\":{\"code\":");
                Json.appendString(json, error.code().code());
                json.append(",\"message\":");
                Json.appendString(json, error.message());
                json.append("}}}");
                yield "event: response.failed\ndata: " + json + "\n\n";
            }
        };
    }

    /** Which stream grammar an error event must follow. */
    public enum StreamKind {
        ANTHROPIC_MESSAGES,
        OPENAI_CHAT,
        OPENAI_RESPONSES
    }
}
