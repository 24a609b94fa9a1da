package dev.mercato.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.micronaut.serde.annotation.Serdeable;

/** Why a request failed at or before the upstream (the {@code kind} of a {@code fail} frame). */
@Serdeable
public enum FailKind {
    AUTH("auth"),
    RATE_LIMITED("rate_limited"),
    OVERLOADED("overloaded"),
    TIMEOUT("timeout"),
    BAD_REQUEST("bad_request"),
    UPSTREAM_ERROR("upstream_error"),
    UNAVAILABLE("unavailable"),
    CANCELLED("cancelled");

    private final String wireName;

    FailKind(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static FailKind fromWireName(String wireName) {
        for (FailKind kind : values()) {
            if (kind.wireName.equals(wireName)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown fail kind '" + wireName + "'");
    }
}
