package dev.mercato.gateway.error;

/**
 * Every refusal the gateway can give, with its HTTP status and its type in each protocol
 * (errors.md). The enum name, lower-cased, is the stable Mercato code.
 */
public enum ErrorCode {
    INVALID_REQUEST(400, "invalid_request_error", "invalid_request_error", false),
    MODEL_NOT_AVAILABLE(400, "invalid_request_error", "invalid_request_error", false),
    REQUEST_TOO_LARGE(413, "request_too_large", "invalid_request_error", false),
    MISSING_API_KEY(401, "authentication_error", "invalid_request_error", false),
    INVALID_API_KEY(401, "authentication_error", "invalid_request_error", false),
    API_KEY_DISABLED(401, "authentication_error", "invalid_request_error", false),
    API_KEY_EXPIRED(401, "authentication_error", "invalid_request_error", false),
    SESSION_EXPIRED(401, "authentication_error", "invalid_request_error", false),
    SIGN_IN_FAILED(401, "authentication_error", "invalid_request_error", false),
    IP_NOT_ALLOWED(403, "permission_error", "permission_error", false),
    MODEL_NOT_ALLOWED(403, "permission_error", "permission_error", false),
    INSUFFICIENT_BALANCE(402, "billing_error", "billing_error", false),
    KEY_BUDGET_EXCEEDED(402, "billing_error", "billing_error", false),
    RPM_LIMIT_EXCEEDED(429, "rate_limit_error", "rate_limit_error", true),
    TPM_LIMIT_EXCEEDED(429, "rate_limit_error", "rate_limit_error", true),
    CONCURRENCY_LIMIT_EXCEEDED(429, "rate_limit_error", "rate_limit_error", true),
    SIGN_IN_RATE_LIMITED(429, "rate_limit_error", "rate_limit_error", true),
    NOT_FOUND(404, "not_found_error", "invalid_request_error", false),
    WALLET_LINKED_ELSEWHERE(409, "invalid_request_error", "invalid_request_error", false),
    NO_PROVIDERS_ONLINE(503, "overloaded_error", "service_unavailable_error", true),
    ALL_PROVIDERS_RESTING(503, "overloaded_error", "service_unavailable_error", true),
    ALL_PROVIDERS_BUSY(503, "overloaded_error", "service_unavailable_error", true),
    BILLING_UNAVAILABLE(503, "overloaded_error", "service_unavailable_error", true),
    UPSTREAM_FAILED(502, "api_error", "server_error", true),
    PROVIDER_AUTH_FAILED(502, "api_error", "server_error", true),
    UPSTREAM_TIMEOUT(504, "timeout_error", "server_error", true),
    UPSTREAM_OVERLOADED(529, "overloaded_error", "server_error", true),
    RESPONSE_TOO_LARGE(502, "api_error", "server_error", false),
    DEPOSIT_ALREADY_ASSIGNED(409, "invalid_request_error", "invalid_request_error", false),
    IDEMPOTENCY_KEY_REUSED(409, "invalid_request_error", "invalid_request_error", false),
    PAYOUTS_UNAVAILABLE(503, "overloaded_error", "service_unavailable_error", false),
    ADMIN_UNAUTHORIZED(401, "authentication_error", "invalid_request_error", false),
    INTERNAL_ERROR(500, "api_error", "server_error", true);

    private final int httpStatus;
    private final String anthropicType;
    private final String openAiType;
    private final boolean retryable;
    private final String code;

    ErrorCode(int httpStatus, String anthropicType, String openAiType, boolean retryable) {
        this.httpStatus = httpStatus;
        this.anthropicType = anthropicType;
        this.openAiType = openAiType;
        this.retryable = retryable;
        this.code = name().toLowerCase(java.util.Locale.ROOT);
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String anthropicType() {
        return anthropicType;
    }

    public String openAiType() {
        return openAiType;
    }

    /** Whether the same request may succeed later: drives {@code x-should-retry}. */
    public boolean retryable() {
        return retryable;
    }

    public String code() {
        return code;
    }
}
