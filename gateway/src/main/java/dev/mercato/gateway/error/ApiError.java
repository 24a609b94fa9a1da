package dev.mercato.gateway.error;

import io.micronaut.core.annotation.Nullable;

/**
 * A refusal as a value: what went wrong, a sentence a person can act on (naming the number
 * involved), the parameter at fault if any, and when a retry may succeed.
 */
public record ApiError(ErrorCode code, String message, @Nullable String param, @Nullable Integer retryAfterSeconds) {

    public ApiError {
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("an error needs a message");
        }
    }

    public static ApiError of(ErrorCode code, String message) {
        return new ApiError(code, message, null, null);
    }

    public static ApiError invalidParam(String param, String message) {
        return new ApiError(ErrorCode.INVALID_REQUEST, message, param, null);
    }

    public ApiError withRetryAfter(int seconds) {
        return new ApiError(code, message, param, seconds);
    }

    /** Thrown where a value cannot be returned; turned into the protocol's error shape at the edge. */
    public static final class Exception extends RuntimeException {
        private final ApiError error;

        public Exception(ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        public ApiError error() {
            return error;
        }
    }
}
