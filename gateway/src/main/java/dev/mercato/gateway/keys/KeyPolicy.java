package dev.mercato.gateway.keys;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.serde.annotation.Serdeable;

/**
 * Platform-wide key settings, changed through the admin API: the limits a new key gets when
 * its owner names none, and the most an owner may give a key. The admin API itself may set
 * any key beyond the ceilings (a load test, a trusted partner).
 */
@Serdeable
public record KeyPolicy(int defaultRequestsPerMinute, int defaultConcurrentRequests, int maxRequestsPerMinute,
                        int maxConcurrentRequests, long maxTokensPerMinute, int maxKeysPerAccount) {

    /** @throws ApiError.Exception {@code invalid_request} naming what is inconsistent */
    public KeyPolicy checked() {
        if (defaultRequestsPerMinute < 1 || defaultConcurrentRequests < 1 || maxTokensPerMinute < 1
            || maxKeysPerAccount < 1) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST, "Every default and ceiling must be at least 1."));
        }
        if (maxRequestsPerMinute < defaultRequestsPerMinute || maxConcurrentRequests < defaultConcurrentRequests) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST, "A ceiling cannot be below its default: "
                + "requests per minute " + defaultRequestsPerMinute + " ≤ " + maxRequestsPerMinute + " and concurrent "
                + "requests " + defaultConcurrentRequests + " ≤ " + maxConcurrentRequests + " must hold."));
        }
        return this;
    }
}
