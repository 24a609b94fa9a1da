package dev.mercato.gateway.relay;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.protocol.NodeFrame;

/** Turns a node's {@code fail} frame into the refusal the consumer sees (errors.md). */
final class FailureMapping {

    /** Suggested wait after an upstream 529 (errors.md: 5–10 s). */
    static final int OVERLOADED_RETRY_AFTER_SECONDS = 5;
    static final int BUSY_RETRY_AFTER_SECONDS = 2;

    private FailureMapping() {
    }

    /**
     * Whether a request that failed this way before any output should be tried on another node.
     * Yes when the fault is the node's or its upstream's (credentials, errors, overload, rate
     * limits, timeouts, a dropped socket); no when the upstream refused the request itself,
     * which every node would refuse, or when the gateway cancelled it.
     */
    static boolean triesAnotherNode(NodeFrame.Fail fail) {
        return switch (fail.kind()) {
            case AUTH, RATE_LIMITED, OVERLOADED, TIMEOUT, UPSTREAM_ERROR, UNAVAILABLE -> true;
            case BAD_REQUEST, CANCELLED -> false;
        };
    }

    static ApiError toApiError(NodeFrame.Fail fail, String nodeName) {
        String upstreamMessage = fail.message() == null || fail.message().isBlank() ? "no details" : fail.message();
        return switch (fail.kind()) {
            case AUTH -> ApiError.of(ErrorCode.PROVIDER_AUTH_FAILED, "The provider node " + nodeName
                + " could not authenticate with its upstream; retry to be served by another node.");
            case BAD_REQUEST -> ApiError.of(ErrorCode.INVALID_REQUEST,
                "The upstream rejected the request (HTTP " + fail.status() + "): " + upstreamMessage);
            case OVERLOADED -> fail.status() == 529
                ? ApiError.of(ErrorCode.UPSTREAM_OVERLOADED, "The upstream of provider node " + nodeName
                    + " is overloaded; retry in " + OVERLOADED_RETRY_AFTER_SECONDS + " seconds.")
                    .withRetryAfter(OVERLOADED_RETRY_AFTER_SECONDS)
                : ApiError.of(ErrorCode.ALL_PROVIDERS_BUSY, "The provider node " + nodeName
                    + " is at its concurrency limit; retry in " + BUSY_RETRY_AFTER_SECONDS + " seconds.")
                    .withRetryAfter(BUSY_RETRY_AFTER_SECONDS);
            case TIMEOUT -> ApiError.of(ErrorCode.UPSTREAM_TIMEOUT,
                "The upstream of provider node " + nodeName + " did not answer in time.");
            case RATE_LIMITED -> {
                ApiError error = ApiError.of(ErrorCode.UPSTREAM_FAILED, "The upstream of provider node " + nodeName
                    + " is rate limiting it; retry shortly.");
                yield fail.retryAfterSeconds() == null ? error : error.withRetryAfter(fail.retryAfterSeconds());
            }
            case UPSTREAM_ERROR, UNAVAILABLE, CANCELLED -> ApiError.of(ErrorCode.UPSTREAM_FAILED,
                "The provider node " + nodeName + " failed to answer: " + upstreamMessage);
        };
    }
}
