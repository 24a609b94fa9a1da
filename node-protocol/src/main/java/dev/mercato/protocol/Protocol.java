package dev.mercato.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.micronaut.serde.annotation.Serdeable;

/** The wire protocol a model is served in upstream. */
@Serdeable
public enum Protocol {
    ANTHROPIC("anthropic"),
    OPENAI("openai");

    private final String wireName;

    Protocol(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static Protocol fromWireName(String wireName) {
        for (Protocol protocol : values()) {
            if (protocol.wireName.equals(wireName)) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + wireName + "' (expected anthropic or openai)");
    }
}
