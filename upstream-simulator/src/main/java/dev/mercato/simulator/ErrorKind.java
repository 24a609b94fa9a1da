package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;

/** Every error the simulator answers with, and the status and error type each protocol gives it. */
enum ErrorKind {
    INVALID_REQUEST(400, 400, "invalid_request_error", "invalid_request_error", null),
    AUTHENTICATION(401, 401, "authentication_error", "invalid_request_error", "invalid_api_key"),
    NOT_FOUND(404, 404, "not_found_error", "invalid_request_error", null),
    REQUEST_TOO_LARGE(413, 413, "request_too_large", "invalid_request_error", null),
    RATE_LIMITED(429, 429, "rate_limit_error", "requests", "rate_limit_exceeded"),
    SERVER_ERROR(500, 500, "api_error", "server_error", null),
    /** Anthropic signals overload with its own 529; OpenAI answers 503. */
    OVERLOADED(529, 503, "overloaded_error", "server_error", null);

    private final int anthropicStatus;
    private final int openAiStatus;
    private final String anthropicType;
    private final String openAiType;
    private final String openAiCode;

    ErrorKind(int anthropicStatus, int openAiStatus, String anthropicType, String openAiType, String openAiCode) {
        this.anthropicStatus = anthropicStatus;
        this.openAiStatus = openAiStatus;
        this.anthropicType = anthropicType;
        this.openAiType = openAiType;
        this.openAiCode = openAiCode;
    }

    int status(Protocol protocol) {
        return protocol == Protocol.ANTHROPIC ? anthropicStatus : openAiStatus;
    }

    String anthropicType() {
        return anthropicType;
    }

    String openAiType() {
        return openAiType;
    }

    /** OpenAI's {@code error.code}, or null. */
    String openAiCode() {
        return openAiCode;
    }

    static ErrorKind of(Failure failure) {
        return switch (failure) {
            case AUTH -> AUTHENTICATION;
            case RATE_LIMITED -> RATE_LIMITED;
            case OVERLOADED -> OVERLOADED;
            case SERVER_ERROR -> SERVER_ERROR;
            case BAD_REQUEST -> INVALID_REQUEST;
        };
    }

    /** What the real API says for an injected failure of this kind. */
    String injectedMessage(Protocol protocol) {
        boolean anthropic = protocol == Protocol.ANTHROPIC;
        return switch (this) {
            case INVALID_REQUEST -> "Simulated bad request (directive fail=bad_request).";
            case AUTHENTICATION -> anthropic ? "invalid x-api-key" : "Incorrect API key provided.";
            case NOT_FOUND -> "Not Found";
            case REQUEST_TOO_LARGE -> "Request exceeds the maximum allowed number of bytes.";
            case RATE_LIMITED -> "Simulated rate limit reached; retry after " + ErrorBodies.RETRY_AFTER_SECONDS
                + " second.";
            case SERVER_ERROR -> anthropic ? "Internal server error"
                : "The server had an error while processing your request. Sorry about that!";
            case OVERLOADED -> anthropic ? "Overloaded" : "The server is overloaded or not ready yet.";
        };
    }
}
