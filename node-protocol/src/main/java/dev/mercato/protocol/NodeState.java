package dev.mercato.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.micronaut.serde.annotation.Serdeable;

/** Whether a node takes new work: online, draining before a rest window, or resting. */
@Serdeable
public enum NodeState {
    ONLINE("online"),
    DRAINING("draining"),
    RESTING("resting");

    private final String wireName;

    NodeState(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static NodeState fromWireName(String wireName) {
        for (NodeState state : values()) {
            if (state.wireName.equals(wireName)) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown node state '" + wireName + "'");
    }
}
